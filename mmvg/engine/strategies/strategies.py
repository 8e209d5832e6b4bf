# Copyright (c) mmvg contributors. All rights reserved.
"""mmengine's distributed strategies with mmvg's start-up fixes.

Registered under the same names in mmvg's ``STRATEGIES``, so that a config
with ``default_scope='mmvg'`` and ``strategy=dict(type='DeepSpeedStrategy')``
builds these. Each one starts the process group through
:func:`mmvg.engine.distributed.init_dist`, which works without CUDA.
"""
import contextlib
import copy
import os.path as osp
import re
from typing import Callable, Iterator, List, Optional, Union

import torch
from mmengine._strategy import DDPStrategy as _DDPStrategy
from mmengine._strategy import DeepSpeedStrategy as _DeepSpeedStrategy
from mmengine._strategy import FSDPStrategy as _FSDPStrategy
from mmengine._strategy import deepspeed as mmengine_deepspeed
from mmengine.dist import (barrier, get_world_size, is_distributed,
                           is_main_process)
from mmengine.optim import (AmpOptimWrapper, BaseOptimWrapper, OptimWrapper,
                            OptimWrapperDict, build_optim_wrapper)
from mmengine.runner.checkpoint import _load_checkpoint
from torch.optim import Optimizer

from mmvg.registry import OPTIMIZERS, STRATEGIES
from ..crash_safety import mark_complete
from ..distributed import init_dist
from ..torch_extensions import check_deepspeed_ops

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


def _mark_directory_complete(filename: str) -> None:
    """Mark a directory checkpoint complete once every rank wrote its part.

    A file checkpoint (written by rank 0 through the atomic file backend)
    needs no marker.
    """
    barrier()
    if is_main_process() and osp.isdir(filename):
        mark_complete(filename)
    barrier()


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


# Segments that FSDP and activation checkpointing insert in parameter names
_WRAPPER_SEGMENTS = re.compile(
    r'(_fsdp_wrapped_module|_checkpoint_wrapped_module)\.')


def _clip_grad_norm_globally(optim_wrapper: BaseOptimWrapper,
                             model: torch.nn.Module) -> None:
    """Make the wrapper's norm clipping use the norm of the whole gradient.

    mmengine clips with ``torch.nn.utils.clip_grad_norm_`` on the gradients
    that the rank holds, which under FSDP are its shard: each rank would
    scale by its own norm and log its own ``grad_norm``. The root FSDP
    module's ``clip_grad_norm_`` reduces the shards' norms over the ranks
    first. Value clipping (``type='value'``) is left as it is: it clamps
    element by element the gradients that FSDP already reduced, so the
    shards clamp exactly as the full gradient would.

    Args:
        optim_wrapper (BaseOptimWrapper): The built optimizer wrapper.
        model (nn.Module): The root ``FullyShardedDataParallel`` module.

    Raises:
        ValueError: For norm clipping with several optimizers, or with
            arguments other than ``max_norm`` and ``norm_type``.
    """
    from torch.distributed.fsdp import FullyShardedDataParallel
    if not isinstance(model, FullyShardedDataParallel):
        return
    if isinstance(optim_wrapper, OptimWrapperDict):
        wrappers = list(optim_wrapper.values())
    else:
        wrappers = [optim_wrapper]
    clipping = [
        wrapper for wrapper in wrappers
        if getattr(wrapper, 'clip_grad_kwargs', None)
        and wrapper.grad_name == 'grad_norm'
    ]
    if not clipping:
        return
    if len(wrappers) > 1:
        raise ValueError(
            'clip_grad by norm with several optimizers is not supported '
            "under FSDP: FSDP's clip_grad_norm_ clips the whole model's "
            "gradient at once. Clip by value (clip_grad=dict(type='value', "
            'clip_value=...)) or use one optimizer.')
    wrapper = clipping[0]
    unsupported = set(wrapper.clip_grad_kwargs) - {'max_norm', 'norm_type'}
    if unsupported:
        raise ValueError(
            f'clip_grad options {sorted(unsupported)} are not supported '
            "under FSDP, whose clip_grad_norm_ takes only 'max_norm' and "
            "'norm_type'.")

    def clip_grad() -> None:
        # A collective: every rank calls it, even one without gradients.
        norm = model.clip_grad_norm_(**wrapper.clip_grad_kwargs)
        wrapper.message_hub.update_scalar(f'train/{wrapper.grad_name}',
                                          float(norm))

    wrapper._clip_grad = clip_grad


@STRATEGIES.register_module()
class FSDPStrategy(_InitDistMixin, _FSDPStrategy):
    """mmengine's ``FSDPStrategy`` that also starts, wraps and saves on CPU,
    and builds the optimizer with the model config's param-wise options.

    The CPU wrapping itself is done by mmvg's ``MMFullyShardedDataParallel``
    (see :mod:`mmvg.engine.model_wrappers`).

    mmengine builds the optimizer from the FSDP-wrapped model (mmengine
    issue 1032). Its parameters are then flattened (or, with
    ``use_orig_params=True``, 1-D shard views whose names carry
    ``_fsdp_wrapped_module``), so ``paramwise_cfg`` (``custom_keys`` such as
    a smaller backbone lr, ``norm_decay_mult``, ``flat_decay_mult``) is
    silently lost or misapplied. Here the optimizer wrapper is built from
    the model before wrapping, by the config's own constructor, and its
    parameter groups are then moved onto the wrapped model's parameters of
    the same names.

    mmengine's ``clip_grad=dict(max_norm=...)`` would clip each rank's
    shard by the shard's own norm; here it clips by the global norm (FSDP's
    ``clip_grad_norm_``), which is also the logged ``grad_norm``.
    """

    def prepare(self,
                model: Union[torch.nn.Module, dict],
                *,
                optim_wrapper: Union[BaseOptimWrapper, dict, None] = None,
                **kwargs):
        """Build the model, the optimizer wrapper on the unwrapped model,
        then wrap and shard as mmengine does.

        Args:
            model (nn.Module | dict): The model or its config.
            optim_wrapper (BaseOptimWrapper | dict, optional): The optimizer
                wrapper or its config.
            **kwargs: As in :meth:`mmengine._strategy.FSDPStrategy.prepare`.

        Returns:
            As in :meth:`mmengine._strategy.FSDPStrategy.prepare`.
        """
        if (not self._prepared and isinstance(optim_wrapper, dict) and
            ('optimizer' in optim_wrapper or 'constructor' in optim_wrapper)
                and not isinstance(optim_wrapper.get('optimizer'), Optimizer)):
            model = self.build_model(model)
            optim_wrapper = copy.deepcopy(optim_wrapper)
            optim_wrapper.setdefault('type', 'OptimWrapper')
            if optim_wrapper['type'] in ('AmpOptimWrapper', AmpOptimWrapper):
                optim_wrapper.setdefault('use_fsdp', True)
            optim_wrapper = build_optim_wrapper(model, optim_wrapper)
        return super().prepare(model, optim_wrapper=optim_wrapper, **kwargs)

    def build_optim_wrapper(
            self,
            optim_wrapper: Union[Optimizer, BaseOptimWrapper, dict],
            model: Optional[torch.nn.Module] = None) -> BaseOptimWrapper:
        """Move a built optimizer onto the wrapped model's parameters.

        mmengine's own conversion passes ``FSDP.optim_state_dict_to_load``
        its arguments in torch 1.x's order and fails on torch 2.

        Args:
            optim_wrapper (Optimizer | BaseOptimWrapper | dict): A built
                optimizer (wrapper) whose parameters are those of the
                unwrapped model, or a config (built by mmengine).
            model (nn.Module, optional): The wrapped model.

        Returns:
            BaseOptimWrapper: The optimizer wrapper, whose norm clipping
            (``clip_grad=dict(max_norm=...)``) uses the global gradient norm.
        """
        if isinstance(optim_wrapper, Optimizer):
            optim_wrapper = OptimWrapper(optimizer=optim_wrapper)
        if isinstance(optim_wrapper, BaseOptimWrapper):
            self._move_param_groups(optim_wrapper.optimizer, model)
        else:
            optim_wrapper = super().build_optim_wrapper(optim_wrapper, model)
        _clip_grad_norm_globally(optim_wrapper, model)
        return optim_wrapper

    def _move_param_groups(self, optimizer: Optimizer,
                           model: torch.nn.Module) -> None:
        """Replace the parameters of each group by the wrapped ones.

        The optimizer has no state yet, so its groups (and their lr,
        weight decay, ...) are kept and only their parameters replaced.
        """
        if optimizer.state:
            raise ValueError('An optimizer given to FSDPStrategy must not '
                             'have a state yet: it is rebuilt on the '
                             'sharded parameters.')
        wrapped = {
            _WRAPPER_SEGMENTS.sub('', name): param
            for name, param in model.named_parameters()
        }
        groups = optimizer.param_groups
        names = [[self.id_to_name.get(id(p)) for p in group['params']]
                 for group in groups]
        if all(name in wrapped for group in names for name in group):
            for group, group_names in zip(groups, names):
                group['params'] = [wrapped[name] for name in group_names]
            return
        if len(groups) == 1 and len(names[0]) == len(self.id_to_name):
            # One group over the whole model: its flat parameters do.
            groups[0]['params'] = list(model.parameters())
            return
        raise ValueError(
            'The optimizer has parameter groups (paramwise_cfg) or leaves '
            'parameters out, but FSDP flattened the parameters: set '
            'use_orig_params=True in strategy.model_wrapper (as '
            'configs/_base_/strategies/fsdp_blocks.py does).')

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

    def save_checkpoint(self, filename: str, **kwargs) -> None:
        """Save as mmengine does; mark a per-rank directory complete.

        Args:
            filename (str): The checkpoint path.
            **kwargs: As in :meth:`mmengine._strategy.FSDPStrategy.
                save_checkpoint`.
        """
        super().save_checkpoint(filename, **kwargs)
        _mark_directory_complete(filename)


@STRATEGIES.register_module()
class DeepSpeedStrategy(_InitDistMixin, _DeepSpeedStrategy):
    """mmengine's ``DeepSpeedStrategy`` for deepspeed >= 0.17 and CPU.

    Before DeepSpeed starts its communication (which compiles its CPU
    comm op on first use), the op's build lock is checked: see
    :func:`mmvg.engine.torch_extensions.check_deepspeed_ops`.

    Args:
        **kwargs: As in :class:`mmengine._strategy.DeepSpeedStrategy`.
    """

    _init_backend = 'deepspeed'

    def __init__(self, **kwargs) -> None:
        with _tolerant_optimizer_registration():
            super().__init__(**kwargs)

    def _setup_distributed(self,
                           launcher: Optional[str] = 'pytorch',
                           backend: str = 'nccl',
                           **kwargs) -> None:
        # deepspeed.init_distributed compiles DeepSpeed's CPU comm op on
        # first use and waits forever on a lock a killed build left.
        check_deepspeed_ops()
        super()._setup_distributed(launcher, backend, **kwargs)

    def save_checkpoint(self, filename: str, **kwargs) -> None:
        """Save as mmengine does, then mark the directory complete.

        With the optimizer, DeepSpeed writes a directory of per-rank parts;
        :func:`mmvg.engine.crash_safety.find_latest_complete_checkpoint`
        only resumes from one that holds the completion marker.

        Args:
            filename (str): The checkpoint path.
            **kwargs: As in :meth:`mmengine._strategy.DeepSpeedStrategy.
                save_checkpoint`.
        """
        super().save_checkpoint(filename, **kwargs)
        _mark_directory_complete(filename)

    def load_checkpoint(self,
                        filename: str,
                        *,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')],
                        callback: Optional[Callable] = None) -> dict:
        """Load model weights from a DeepSpeed directory or a plain file.

        mmengine hands every ``load_from`` to DeepSpeed's engine, which only
        reads its own directories, so a plain ``.pth`` (a converted or
        DDP checkpoint, released weights) could not be loaded. A plain
        file is loaded into the module here: under ZeRO-3 with the
        partitioned parameters gathered, and then the optimizer's fp32
        master copies are refreshed so that training starts from the
        loaded weights.

        Args:
            filename (str): A DeepSpeed checkpoint directory or a file.
            map_location (str | Callable): As in :func:`torch.load`.
            strict (bool): Whether the keys of a plain file must match.
            revise_keys (list): ``(pattern, replacement)`` pairs applied to
                a plain file's keys.
            callback (Callable, optional): Called with the checkpoint of a
                plain file before it is loaded.

        Returns:
            dict: The checkpoint's extra states (meta and others).
        """
        if osp.isdir(filename):
            return super().load_checkpoint(
                filename,
                map_location=map_location,
                strict=strict,
                revise_keys=revise_keys,
                callback=callback)
        import deepspeed
        from mmengine.runner.checkpoint import _load_checkpoint_to_model
        self.logger.info(f'Load checkpoint from {filename}')
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        if callback is not None:
            callback(checkpoint)
        engine = self.model.model
        params = list(engine.module.parameters())
        with deepspeed.zero.GatheredParameters(params, modifier_rank=0):
            _load_checkpoint_to_model(
                engine.module,
                checkpoint,
                strict=strict,
                revise_keys=revise_keys)
        optimizer = getattr(engine, 'optimizer', None)
        if hasattr(optimizer, 'refresh_fp32_params'):
            optimizer.refresh_fp32_params()
        return {k: v for k, v in checkpoint.items() if k != 'state_dict'}

    def check_batch_size(self, micro_batch_size: int, world_size: int) -> None:
        """Derive the accumulation steps from a global ``train_batch_size``.

        DeepSpeed needs ``train_batch_size = per-process batch x processes
        x gradient_accumulation_steps``; a global batch that the processes
        cannot split evenly is refused here with the numbers.

        Args:
            micro_batch_size (int): The per-process batch size.
            world_size (int): The number of processes.

        Raises:
            ValueError: When the global batch does not fit.
        """
        total = self.config.get('train_batch_size')
        if total is None:
            return
        steps, remainder = divmod(total, micro_batch_size * world_size)
        configured = self.config.get('gradient_accumulation_steps', 1)
        if remainder or steps == 0 or configured not in (1, steps):
            raise ValueError(
                f'strategy.train_batch_size={total} cannot be split over '
                f'{world_size} processes of {micro_batch_size} per process '
                f'with gradient_accumulation_steps={configured}: it must be '
                'a multiple of the per-process batch times the world size '
                f'({micro_batch_size * world_size}).')
        self.config['gradient_accumulation_steps'] = steps

    def _wrap_model(self, model: torch.nn.Module) -> torch.nn.Module:
        self.check_batch_size(
            self.config.get('train_micro_batch_size_per_gpu', 1),
            get_world_size())
        # Without a launcher, deepspeed.initialize starts the comm backend.
        check_deepspeed_ops()
        return super()._wrap_model(model)

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
