# Copyright (c) mmvg contributors. All rights reserved.
"""Horovod as an mmengine strategy: ``horovodrun`` or ``mpiexec`` start
the processes, Horovod averages the gradients."""
import socket
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine._strategy import SingleDeviceStrategy
from mmengine.device import get_device
from mmengine.dist import is_distributed, master_only
from mmengine.optim import BaseOptimWrapper, OptimWrapperDict
from torch import nn

from mmvg.registry import STRATEGIES

BUILD_SCRIPT = 'tools/misc/build_horovod.sh'


def import_horovod():
    """``horovod.torch``, or an error saying how to build it."""
    try:
        import horovod.torch as hvd
    except ImportError as e:
        raise ImportError(
            'HorovodStrategy needs horovod built for this torch: run '
            f'`bash {BUILD_SCRIPT}` (horovod 0.28.1 does not build from the '
            f'package registry against torch >= 2.1). ({e})') from e
    return hvd


class _SynchronizeBeforeStep:
    """Mixed into the optim wrapper's class: wait for Horovod's averaged
    gradients, then let the wrapper unscale and clip them and step."""

    def step(self, **kwargs) -> None:
        self.optimizer.synchronize()
        with self.optimizer.skip_synchronize():
            super().step(**kwargs)


@STRATEGIES.register_module()
class HorovodStrategy(SingleDeviceStrategy):
    """Data-parallel training with Horovod under mmengine's
    ``FlexibleRunner``.

    Launch with ``horovodrun -np N python tools/train.py CONFIG`` (or
    ``mpiexec -n N ...`` on a cluster). Each process trains a full copy of
    the model on its share of the batches:

    - ``hvd.init()`` starts Horovod. mmengine's samplers, logger,
      checkpoint hook and metrics read the rank and world size from
      ``torch.distributed``, so a gloo process group is started too, with
      Horovod's ranks (its address broadcast by Horovod). It carries only
      mmengine's own messages (seeds, metric results); the model is not
      wrapped in DDP, so the gradients are averaged once, by Horovod.
    - The optimizer becomes ``hvd.DistributedOptimizer``
      (``backward_passes_per_step`` = the optim wrapper's
      ``accumulative_counts``); the wrapper waits for the averaged
      gradients before it unscales (AMP), clips and steps.
    - The parameters are broadcast from rank 0 at the start and after a
      resume, the optimizer state after a resume. Horovod's broadcast of a
      fresh optimizer's state would first step it on zero gradients (a
      weight-decay step and a bias-correction count for AdamW), so a fresh
      optimizer, the same on every rank, is not broadcast.
    - Rank 0 saves checkpoints; every rank loads them on resume.

    Args:
        fp16_compression (bool): Send the gradients as float16 in the
            allreduce (``hvd.Compression.fp16``). It conflicts with a
            float16 loss scale (``--amp``, ``AmpOptimWrapper``): refused.
            Defaults to False.
        num_processes (int, optional): The number of processes the config
            was written for. A launch with another number (e.g. without
            ``horovodrun``: 1) is refused. Defaults to None (any).
        **kwargs: The arguments of mmengine's ``BaseStrategy``.
    """

    def __init__(self,
                 fp16_compression: bool = False,
                 num_processes: Optional[int] = None,
                 **kwargs) -> None:
        self.hvd = import_horovod()
        self.fp16_compression = fp16_compression
        self.num_processes = num_processes
        super().__init__(**kwargs)

    def _setup_env(self, *, launcher: Optional[str] = None, **kwargs) -> None:
        if launcher not in (None, 'none', 'horovod'):
            raise ValueError(
                f'HorovodStrategy was given launcher {launcher!r}: horovodrun '
                'or mpiexec starts the processes; run tools/train.py with '
                '--launcher none (the default).')
        super()._setup_env(launcher='horovod', **kwargs)

    def _setup_distributed(self,
                           launcher: str = 'horovod',
                           backend: str = 'gloo',
                           **kwargs) -> None:
        hvd = self.hvd
        hvd.init()
        if self.num_processes not in (None, hvd.size()):
            raise RuntimeError(
                f'The config expects {self.num_processes} Horovod processes '
                f'but this one runs with {hvd.size()}: start it with '
                f'`horovodrun -np {self.num_processes} python tools/train.py '
                'CONFIG` (or mpiexec -n on a cluster).')
        if torch.cuda.is_available():
            torch.cuda.set_device(hvd.local_rank())
        if is_distributed():
            return
        # mmengine's helpers need a process group: gloo at rank 0's address.
        address = None
        if hvd.rank() == 0:
            with socket.socket() as sock:
                sock.bind(('', 0))
                port = sock.getsockname()[1]
            address = f'tcp://{socket.gethostbyname(socket.gethostname())}:' \
                f'{port}'
        # One name on every rank: the default is the object's type name,
        # which differs between rank 0 (str) and the others (None).
        address = hvd.broadcast_object(
            address, root_rank=0, name='mmvg.gloo_address')
        torch_dist.init_process_group(
            'gloo',
            init_method=address,
            rank=hvd.rank(),
            world_size=hvd.size())

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        # No DDP: Horovod averages the gradients.
        model = model.to(get_device())
        self.hvd.broadcast_parameters(model.state_dict(), root_rank=0)
        return model

    def build_optim_wrapper(self, optim_wrapper, model=None):
        optim_wrapper = super().build_optim_wrapper(optim_wrapper, model)
        if isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError('HorovodStrategy trains with one optimizer; '
                            'the config builds an OptimWrapperDict.')
        self._to_horovod(optim_wrapper, model)
        return optim_wrapper

    def _to_horovod(self, optim_wrapper: BaseOptimWrapper,
                    model: nn.Module) -> None:
        hvd = self.hvd
        loss_scale = getattr(optim_wrapper, 'loss_scaler', None)
        if self.fp16_compression and loss_scale is not None:
            raise ValueError(
                'HorovodStrategy(fp16_compression=True) with '
                f'{type(optim_wrapper).__name__} (--amp): the float16 '
                'allreduce would carry loss-scaled gradients, which overflow '
                'float16 (the scale is 65536 at the start); use one or the '
                'other.')
        model = getattr(model, 'module', model)
        optim_wrapper.optimizer = hvd.DistributedOptimizer(
            optim_wrapper.optimizer,
            named_parameters=[(name, param)
                              for name, param in model.named_parameters()
                              if param.requires_grad],
            compression=hvd.Compression.fp16
            if self.fp16_compression else hvd.Compression.none,
            backward_passes_per_step=getattr(optim_wrapper,
                                             '_accumulative_counts', 1),
            op=hvd.Average)
        # Keep the wrapper's type (OptimWrapper, AmpOptimWrapper, ...) for
        # the config, its checkpoints and its hooks; add the wait.
        wrapper_type = type(optim_wrapper)
        optim_wrapper.__class__ = type(f'Horovod{wrapper_type.__name__}',
                                       (_SynchronizeBeforeStep, wrapper_type),
                                       {})

    def resume(self, filename: str, **kwargs) -> dict:
        checkpoint = super().resume(filename, **kwargs)
        self.hvd.broadcast_parameters(self.model.state_dict(), root_rank=0)
        if self.optim_wrapper.optimizer.state_dict()['state']:
            self.hvd.broadcast_optimizer_state(
                self.optim_wrapper.optimizer, root_rank=0)
        return checkpoint

    # Rank 0 writes; the others have the same weights.
    save_checkpoint = master_only(SingleDeviceStrategy.save_checkpoint)
