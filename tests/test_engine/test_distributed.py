# Copyright (c) mmvg contributors. All rights reserved.
import os
import subprocess
import sys

import pytest
import torch

from mmvg.testing import free_port

SCRIPT = """
import os, sys
import torch.distributed as dist
from {module} import init_dist
init_dist(sys.argv[1], backend='nccl')
assert dist.get_backend() == 'gloo', dist.get_backend()
print('rank', dist.get_rank(), 'of', dist.get_world_size())
"""


def _start(tmp_path, module, launcher, extra_env):
    script = tmp_path / 'start.py'
    script.write_text(SCRIPT.format(module=module))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(('OMPI_', 'PMI_', 'SLURM_'))
    }
    env.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()))
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, str(script), launcher],
        env=env,
        capture_output=True,
        text=True,
        timeout=120)


TORCHRUN_ENV = dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0')
MPICH_ENV = dict(PMI_RANK='0', PMI_SIZE='1', MPI_LOCALRANKID='0')
OPENMPI_ENV = dict(
    OMPI_COMM_WORLD_RANK='0',
    OMPI_COMM_WORLD_SIZE='1',
    OMPI_COMM_WORLD_LOCAL_RANK='0')


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path')
def test_mmengine_init_dist_fails_without_cuda(tmp_path):
    # the breakage that mmvg.engine.init_dist fixes
    result = _start(tmp_path, 'mmengine.dist', 'pytorch', TORCHRUN_ENV)
    assert result.returncode != 0


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path')
@pytest.mark.parametrize('launcher,env', [('pytorch', TORCHRUN_ENV),
                                          ('mpi', MPICH_ENV),
                                          ('mpi', OPENMPI_ENV)])
def test_init_dist_on_cpu(tmp_path, launcher, env):
    result = _start(tmp_path, 'mmvg.engine', launcher, env)
    assert result.returncode == 0, result.stderr
    assert 'rank 0 of 1' in result.stdout


def test_mpi_launch_without_master_addr_explains(tmp_path):
    script = tmp_path / 'start.py'
    script.write_text(SCRIPT.format(module='mmvg.engine'))
    env = {k: v for k, v in os.environ.items() if k != 'MASTER_ADDR'}
    env.update(MPICH_ENV)
    result = subprocess.run(
        [sys.executable, str(script), 'mpi'],
        env=env,
        capture_output=True,
        text=True,
        timeout=120)
    assert result.returncode != 0
    assert 'MASTER_ADDR' in result.stderr


def test_unknown_launcher_is_refused():
    from mmvg.engine import init_dist
    with pytest.raises(ValueError, match='launcher'):
        init_dist('horovod')


def test_finish_distributed_run_without_group_does_nothing():
    from mmvg.engine.distributed import finish_distributed_run
    finish_distributed_run()  # returns: no process group to end
