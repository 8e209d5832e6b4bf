# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from mmvg.registry import HOOKS


@HOOKS.register_module()
class FreezeModulesHook(Hook):
    """Freeze sub-modules for the first epochs of training, then release
    them (VLTVG keeps its pretrained visual and text encoders fixed for 10
    epochs).

    Only parameters trainable when training starts are frozen and later
    released; those frozen for good (e.g. a backbone's stem) stay frozen.
    Under DDP, set ``find_unused_parameters=True`` in ``model_wrapper_cfg``.

    Freezing sets ``requires_grad=False``: the modules get no gradient, so
    they add nothing to the clipped gradient norm. With the plain runner
    (and FlexibleRunner's DDP) that is all: the optimizer skips parameters
    without a gradient. Under DeepSpeed ZeRO and FSDP the strategy built
    the optimizer before this hook runs, and that is not enough:

    - DeepSpeed ZeRO-2/3 steps its flat partitions with the missing
      gradients filled with zeros, so weight decay keeps shrinking the
      "frozen" weights.
    - FSDP (``use_orig_params=True``) skips them, but they then have no
      optimizer state and ``FSDP.optim_state_dict`` fails on the first
      checkpoint.

    Under those two strategies the parameter groups holding the frozen
    parameters therefore also get ``weight_decay=0`` for the freeze epochs
    (the value is kept in the group under ``frozen_weight_decay``, so it
    survives a resume), and under FSDP their missing gradients are filled
    with zeros before each step, as DeepSpeed does. A zero gradient keeps
    the moments (Adam, momentum) at zero, so the update is exactly zero;
    the learning rate and its schedule are left alone. The difference to
    the plain runner: the optimizer's step count of these parameters
    advances during the freeze, so their first Adam updates after release
    are not bias-corrected. A parameter group that holds both frozen and
    trained parameters and has a weight decay is refused: set
    ``optim_wrapper.paramwise_cfg`` (e.g. ``custom_keys`` for the frozen
    modules, as the VLTVG configs do), which gives each parameter its own
    group. Other FlexibleRunner strategies are refused.

    Args:
        modules (Sequence[str]): Attribute names of the model's
            sub-modules, e.g. ``['backbone', 'text_encoder']``.
        freeze_epochs (int): Epochs to keep them frozen.
    """

    def __init__(self, modules: Sequence[str], freeze_epochs: int) -> None:
        self.modules = list(modules)
        self.freeze_epochs = freeze_epochs
        self._frozen: Dict[str, List[str]] = {}
        self._groups: List[dict] = []
        self._fill_handles: list = []

    def _model(self, runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        if runner.epoch >= self.freeze_epochs:
            return
        sharded = _uses_sharded_optimizer(runner)
        model = self._model(runner)
        frozen = []
        for name in self.modules:
            params = [
                (key, param)
                for key, param in getattr(model, name).named_parameters()
                if param.requires_grad
            ]
            frozen += [param for _, param in params]
            self._frozen[name] = [key for key, _ in params]
        if sharded:
            self._freeze_in_optimizer(runner, frozen)
        for param in frozen:
            param.requires_grad_(False)
        runner.logger.info(f'Froze {self.modules} until epoch '
                           f'{self.freeze_epochs}')

    def after_train_epoch(self, runner) -> None:
        # ``runner.epoch`` counts from 0 and advances after this hook.
        if runner.epoch + 1 != self.freeze_epochs or not self._frozen:
            return
        model = self._model(runner)
        for name, keys in self._frozen.items():
            params = dict(getattr(model, name).named_parameters())
            for key in keys:
                params[key].requires_grad_(True)
        for group in self._groups:
            group['weight_decay'] = group.pop('frozen_weight_decay')
        for handle in self._fill_handles:
            handle.remove()
        self._frozen, self._groups, self._fill_handles = {}, [], []
        runner.logger.info(f'Released {self.modules}')

    def _freeze_in_optimizer(self, runner,
                             frozen: List[torch.nn.Parameter]) -> None:
        """Switch off weight decay for the groups of the frozen parameters
        and, for a torch optimizer, fill their gradients with zeros."""
        strategy = type(runner.strategy).__name__
        frozen_ids = {id(param) for param in frozen}
        wrappers = runner.optim_wrapper
        if isinstance(wrappers, OptimWrapperDict):
            wrappers = list(wrappers.values())
        else:
            wrappers = [wrappers]
        found = set()
        for wrapper in wrappers:
            pairs, zero_filled = _groups_with_params(wrapper.optimizer)
            # ZeRO-3 splits a group into sub-groups: gather them again
            groups: Dict[int, Tuple[dict, set]] = {}
            for group, params in pairs:
                groups.setdefault(id(group), (group, set()))[1].update(
                    id(param) for param in params)
            for group, ids in groups.values():
                if not ids & frozen_ids:
                    continue
                found |= ids & frozen_ids
                if ids - frozen_ids:
                    if group.get('weight_decay', 0):
                        raise ValueError(
                            f'FreezeModulesHook under {strategy}: a '
                            f'parameter group holds parameters of '
                            f'{self.modules} and trained ones, with '
                            f'weight_decay={group["weight_decay"]}, which '
                            'would keep decaying the frozen ones. Set '
                            'optim_wrapper.paramwise_cfg (e.g. custom_keys '
                            'for the frozen modules) so that each '
                            'parameter gets its own group, or train with '
                            'DDP.')
                    continue
                group.setdefault('frozen_weight_decay',
                                 group.get('weight_decay', 0))
                group['weight_decay'] = 0
                self._groups.append(group)
            if not zero_filled:
                self._fill_handles.append(
                    wrapper.optimizer.register_step_pre_hook(
                        _zero_fill_hook(frozen)))
        if found != frozen_ids:
            raise ValueError(
                f'FreezeModulesHook under {strategy}: the optimizer does not '
                f'hold the parameters of {self.modules} (under FSDP, set '
                'use_orig_params=True in strategy.model_wrapper).')


def _uses_sharded_optimizer(runner) -> bool:
    """Whether the runner's strategy built the optimizer on its own terms
    (DeepSpeed, FSDP); refuse strategies this hook does not know."""
    strategy = getattr(runner, 'strategy', None)
    if strategy is None:
        return False
    from mmengine._strategy import (DeepSpeedStrategy, FSDPStrategy,
                                    SingleDeviceStrategy)
    if isinstance(strategy, (DeepSpeedStrategy, FSDPStrategy)):
        return True
    if isinstance(strategy, SingleDeviceStrategy):  # and DDPStrategy
        return False
    raise ValueError(
        f'FreezeModulesHook does not support {type(strategy).__name__}: '
        'use DDPStrategy, DeepSpeedStrategy or FSDPStrategy, or the plain '
        'Runner.')


def _groups_with_params(
        optimizer) -> Tuple[List[Tuple[dict, list]], Optional[bool]]:
    """The optimizer's parameter groups with the model parameters in each.

    DeepSpeed's ZeRO optimizers replace the groups' parameters by flat
    partitions and keep the model's parameters per group aside; they also
    step with zeros for missing gradients.

    Returns:
        tuple: ``(group, params)`` pairs, and whether the optimizer fills
        missing gradients with zeros itself.
    """
    if hasattr(optimizer, 'bit16_groups'):  # ZeRO-1/2
        return list(zip(optimizer.param_groups, optimizer.bit16_groups)), True
    if hasattr(optimizer, 'sub_group_to_group_id'):  # ZeRO-3
        return [(optimizer.param_groups[optimizer.sub_group_to_group_id[i]],
                 params)
                for i, params in enumerate(optimizer.fp16_groups)], True
    return [(group, group['params'])
            for group in optimizer.param_groups], False


def _zero_fill_hook(params: List[torch.nn.Parameter]):
    """A step pre-hook giving the frozen parameters zero gradients, so that
    the optimizer keeps a state for them (FSDP's optimizer state dict
    needs one for every parameter it holds)."""

    def fill(optimizer, args, kwargs) -> None:
        for param in params:
            if param.grad is None:
                param.grad = torch.zeros_like(param)

    return fill
