# Copyright (c) mmvg contributors. All rights reserved.
"""mmengine's distributed strategies with mmvg's start-up fixes.

Registered under the same names in mmvg's ``STRATEGIES``, so that a config
with ``default_scope='mmvg'`` and ``strategy=dict(type='DeepSpeedStrategy')``
builds these. Each one starts the process group through
:func:`mmvg.engine.distributed.init_dist`, which works without CUDA.
"""
import contextlib
from typing import Iterator, List, Optional, Union

import torch
from mmengine._strategy import DDPStrategy as _DDPStrategy
from mmengine._strategy import DeepSpeedStrategy as _DeepSpeedStrategy
from mmengine._strategy import FSDPStrategy as _FSDPStrategy
from mmengine._strategy import deepspeed as mmengine_deepspeed
from mmengine.dist import is_distributed

from mmvg.registry import OPTIMIZERS, STRATEGIES
from ..distributed import init_dist

# DeepSpeed optimizers worth registering, by module. deepspeed >= 0.17
# removed ``deepspeed.runtime.fp16.onebit``, whose unconditional import
# makes mmengine's DeepSpeedStrategy fail at construction.
_DEEPSPEED_OPTIMIZERS = {
    'deepspeed.ops.adam': ('DeepSpeedCPUAdam', 'FusedAdam'),
    'deepspeed.ops.lamb': ('FusedLamb', ),
    'deepspeed.runtime.fp16.onebit':
    ('OnebitAdam', 'OnebitLamb', 'ZeroOneAdam'),
}


def register_deepspeed_optimizers() -> List[str]:
    """Register the DeepSpeed optimizers that this deepspeed provides.

    Returns:
        list[str]: The names registered in mmvg's ``OPTIMIZERS``.
    """
    import importlib
    registered = []
    for module_name, names in _DEEPSPEED_OPTIMIZERS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            optimizer = getattr(module, name, None)
            if optimizer is not None and name not in OPTIMIZERS:
                OPTIMIZERS.register_module(name=name, module=optimizer)
                registered.append(name)
    return registered


@contextlib.contextmanager
def _tolerant_optimizer_registration() -> Iterator[None]:
    """Let mmengine's DeepSpeedStrategy call the tolerant registration."""
    original = mmengine_deepspeed.register_deepspeed_optimizers
    mmengine_deepspeed.register_deepspeed_optimizers = \
        register_deepspeed_optimizers
    try:
        yield
    finally:
        mmengine_deepspeed.register_deepspeed_optimizers = original


class _InitDistMixin:
    """Start the process group with mmvg's CPU-aware ``init_dist``."""

    _init_backend = 'torch'

    def _setup_distributed(self,
                           launcher: Optional[str] = 'pytorch',
                           backend: str = 'nccl',
                           **kwargs) -> None:
        if launcher not in (None, 'none') and not is_distributed():
            init_dist(launcher, backend, self._init_backend, **kwargs)


@STRATEGIES.register_module()
class DDPStrategy(_InitDistMixin, _DDPStrategy):
    """mmengine's ``DDPStrategy`` that also starts on CPU (gloo)."""


@STRATEGIES.register_module()
class FSDPStrategy(_InitDistMixin, _FSDPStrategy):
    """mmengine's ``FSDPStrategy`` that also starts, wraps and saves on CPU.

    The CPU wrapping itself is done by mmvg's ``MMFullyShardedDataParallel``
    (see :mod:`mmvg.engine.model_wrappers`).
    """

    def _init_state_dict_cfg(self, state_dict_cfg: Union[str, dict]) -> None:
        super()._init_state_dict_cfg(state_dict_cfg)
        if torch.cuda.is_available():
            return
        # Without CUDA the parameters already live on the CPU, and torch
        # 2.13 crashes (segfault) cloning the gathered full state dict
        # when asked to offload it there too.
        for config in (self.state_dict_config, self.optim_state_dict_config):
            if hasattr(config, 'offload_to_cpu'):
                config.offload_to_cpu = False

    def load_optim_state_dict(self, state_dict: dict) -> None:
        """Load an optimizer state dict saved by :meth:`save_checkpoint`.

        mmengine passes the arguments of
        ``FSDP.optim_state_dict_to_load`` in torch 1.x's order, so resuming
        fails with ``unhashable type: 'dict'``; they are named here.

        Args:
            state_dict (dict): The optimizer state dict.
        """
        from torch.distributed.fsdp import FullyShardedDataParallel
        optim_state_dict = FullyShardedDataParallel.optim_state_dict_to_load(
            model=self.model,
            optim=self.optim_wrapper.optimizer,
            optim_state_dict=state_dict)
        self.optim_wrapper.load_state_dict(optim_state_dict)


@STRATEGIES.register_module()
class DeepSpeedStrategy(_InitDistMixin, _DeepSpeedStrategy):
    """mmengine's ``DeepSpeedStrategy`` for deepspeed >= 0.17 and CPU.

    Args:
        **kwargs: As in :class:`mmengine._strategy.DeepSpeedStrategy`.
    """

    _init_backend = 'deepspeed'

    def __init__(self, **kwargs) -> None:
        with _tolerant_optimizer_registration():
            super().__init__(**kwargs)

    def build_optim_wrapper(self, optim_wrapper, model=None):
        """Build the optimizer wrapper, turning an ``OptimWrapper`` config
        into a ``DeepSpeedOptimWrapper`` one.

        A strategy file cannot carry its own ``optim_wrapper`` beside a
        model config's (mmengine refuses a key defined by two ``_base_``
        files), so the model config's is adapted here: ``clip_grad`` becomes
        DeepSpeed's ``gradient_clipping`` and ``accumulative_counts`` its
        ``gradient_accumulation_steps``, unless the strategy sets them.

        Args:
            optim_wrapper (dict | BaseOptimWrapper): The config or wrapper.
            model (nn.Module, optional): The model to optimize.

        Returns:
            BaseOptimWrapper: The built optimizer wrapper.
        """
        if isinstance(optim_wrapper, dict):
            optim_wrapper = self._to_deepspeed_optim_wrapper(optim_wrapper)
        return super().build_optim_wrapper(optim_wrapper, model)

    def _to_deepspeed_optim_wrapper(self, cfg: dict) -> dict:
        cfg = dict(cfg)
        wrapper_type = cfg.get('type', 'OptimWrapper')
        if wrapper_type == 'AmpOptimWrapper':
            raise ValueError(
                'AmpOptimWrapper (--amp) conflicts with DeepSpeed, which '
                'sets mixed precision itself: enable strategy.fp16 or '
                'strategy.bf16 in the config instead.')
        if wrapper_type != 'OptimWrapper':
            return cfg
        cfg['type'] = 'DeepSpeedOptimWrapper'
        clip_grad = cfg.pop('clip_grad', None) or {}
        if 'max_norm' in clip_grad:
            self.config.setdefault('gradient_clipping', clip_grad['max_norm'])
        accumulative_counts = cfg.pop('accumulative_counts', 1)
        if self.config.get('gradient_accumulation_steps', 1) == 1:
            self.config['gradient_accumulation_steps'] = accumulative_counts
        return cfg
