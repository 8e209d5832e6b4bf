# Copyright (c) mmvg contributors. All rights reserved.
import logging
from typing import List, Optional, Union

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmvg.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class VGOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, minus the parameters a config never
    trains.

    ``paramwise_cfg`` rules that give a parameter a learning rate of 0
    (``custom_keys={'text_encoder.bert.embeddings.': dict(lr_mult=0.)}``,
    LAVT's recipe) mean "do not train this". mmengine's constructor still
    hands such a parameter to the optimizer, which then keeps state for it
    (AdamW: two tensors of its size) and steps it every iteration, and
    autograd computes its gradient. Here those parameters are left out of
    the optimizer and get ``requires_grad=False``, which gives the same
    updates (AdamW's decoupled weight decay is scaled by the lr, so a
    parameter at lr 0 never changes) for less memory and work; like any
    parameter without a gradient, they no longer count in ``clip_grad``'s
    norm. Parameters with ``requires_grad=False`` are left out already by
    mmengine when ``paramwise_cfg`` is set. A base lr of 0 leaves every
    group in, as mmengine does.

    Since the optimizer is built before the hooks' ``before_train``,
    :class:`~mmvg.engine.hooks.FreezeModulesHook` (frozen for some epochs,
    then trained) is unaffected: it freezes parameters that are in the
    optimizer. The same constructor builds the optimizer under the
    DeepSpeed and FSDP strategies.
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        """Add the module's parameters as mmengine does, then, at the top
        of the recursion, drop the groups whose learning rate is 0."""
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix or not self.base_lr:
            return
        untrained = [group for group in params if group.get('lr') == 0]
        if not untrained:
            return
        params[:] = [group for group in params if group.get('lr') != 0]
        count = 0
        for group in untrained:
            for param in group['params']:
                param.requires_grad_(False)
                count += param.numel()
        print_log(
            f'{count:,} parameters in {len(untrained)} tensors have lr 0 '
            '(paramwise_cfg): left out of the optimizer, requires_grad=False',
            logger='current',
            level=logging.INFO)
