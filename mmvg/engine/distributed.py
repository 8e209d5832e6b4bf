# Copyright (c) mmvg contributors. All rights reserved.
"""Distributed start-up that also works without CUDA.

mmengine 0.10.7 calls ``torch.cuda.set_device`` for every launcher, which
fails on a CPU-only torch, and defaults to the NCCL backend. On CUDA
machines :func:`init_dist` hands over to mmengine unchanged; without CUDA
it starts a gloo process group with no device call, so that ``torchrun``,
Slurm and ``mpiexec`` launches run on CPU (CI, debugging).
"""
import datetime
import logging
import os
import subprocess
import sys
import warnings

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist as mmengine_init_dist

# Rank variables of the MPI implementations: Open MPI's, then MPICH's and
# Intel MPI's (PBS clusters launch through ``mpiexec`` of either).
_MPI_RANK_VARIABLES = {
    'RANK': ('OMPI_COMM_WORLD_RANK', 'PMI_RANK'),
    'WORLD_SIZE': ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE'),
    'LOCAL_RANK': ('OMPI_COMM_WORLD_LOCAL_RANK', 'MPI_LOCALRANKID'),
}


def _export_mpi_env() -> None:
    """Set torch's rank variables from those of the MPI launcher."""
    for torch_name, mpi_names in _MPI_RANK_VARIABLES.items():
        value = next((os.environ[n] for n in mpi_names if n in os.environ),
                     None)
        if value is None:
            raise KeyError(f'--launcher mpi needs one of {mpi_names} in the '
                           'environment; start the job with mpiexec/mpirun.')
        os.environ.setdefault(torch_name, value)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('--launcher mpi needs MASTER_ADDR: export the host '
                       'name of the first node before mpiexec.')


def _export_slurm_env() -> None:
    """Set torch's rank variables from Slurm's."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')


def init_dist(launcher: str,
              backend: str = 'nccl',
              init_backend: str = 'torch',
              **kwargs) -> None:
    """Initialize the default process group.

    Args:
        launcher (str): ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        backend (str): The communication backend wanted on GPUs. Without
            CUDA it is replaced by ``'gloo'``. Defaults to ``'nccl'``.
        init_backend (str): ``'torch'`` or ``'deepspeed'``.
        **kwargs: Passed on to ``init_process_group``; ``timeout`` is in
            seconds, as in mmengine's ``dist_cfg``.
    """
    if launcher not in ('pytorch', 'slurm', 'mpi'):
        raise ValueError(f'Invalid launcher "{launcher}"; expected one of '
                         'pytorch, slurm, mpi.')
    if launcher == 'mpi':
        _export_mpi_env()
        # With the rank variables in place the torchrun path applies; it
        # also covers MPICH, which mmengine's MPI path does not read.
        launcher = 'pytorch'
    if torch.cuda.is_available():
        mmengine_init_dist(launcher, backend, init_backend, **kwargs)
        return

    if launcher == 'slurm':
        _export_slurm_env()
    if backend != 'gloo':
        warnings.warn(f'CUDA is not available: using the gloo backend '
                      f'instead of "{backend}".')
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    if init_backend == 'deepspeed':
        import deepspeed
        deepspeed.init_distributed(dist_backend='gloo', **kwargs)
    elif init_backend == 'torch':
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **kwargs)
    else:
        raise ValueError(f'Unsupported init_backend "{init_backend}"; '
                         'expected "torch" or "deepspeed".')


def finish_distributed_run() -> None:
    """End a finished distributed run: destroy the process group, exit.

    mmengine never destroys the group. With gloo, a finished torchrun job
    of mmengine's runner now and then aborts at interpreter shutdown
    ("terminate called without an active exception", SIGABRT, seen in
    about one of five 2-process CPU runs) although every rank completed,
    which makes torchrun report the job as failed. The group is destroyed
    and the process leaves with ``os._exit(0)`` once logs are flushed, so
    the C++ static destructors that race never run. Call it only after a
    successful run; without a process group it does nothing.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    torch_dist.destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
