# Copyright (c) mmvg contributors. All rights reserved.
"""A torch-extensions build lock left by a killed build fails fast, naming
the lock, instead of hanging every later DeepSpeed run."""
import logging
import os
import re
import subprocess
import threading
import time

import pytest
from torch.utils import cpp_extension

from mmvg.engine import torch_extensions
from mmvg.engine.torch_extensions import (build_processes, check_deepspeed_ops,
                                          extension_build_dir,
                                          wait_for_build_lock)
from mmvg.testing import free_port, run_tool

SHM_COMM = 'deepspeed_shm_comm'
SCALE_OUT_CONFIG = 'tests/data/scale_out/vltvg_tiny_deepspeed_zero2.py'


@pytest.fixture
def extensions_dir(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_EXTENSIONS_DIR', str(tmp_path / 'ext'))
    return tmp_path / 'ext'


def plant_lock(extensions_dir, age_seconds, name=SHM_COMM):
    build_dir = extensions_dir / name
    build_dir.mkdir(parents=True, exist_ok=True)
    lock = build_dir / 'lock'
    lock.touch()
    made = time.time() - age_seconds
    os.utime(lock, (made, made))
    return lock


@pytest.fixture
def logger(caplog):
    caplog.set_level(logging.INFO, logger='mmvg.test_torch_extensions')
    return logging.getLogger('mmvg.test_torch_extensions')


@pytest.mark.parametrize('extensions_dir_set', [True, False])
def test_build_dir_is_torchs(extensions_dir_set, tmp_path, monkeypatch):
    if extensions_dir_set:
        monkeypatch.setenv('TORCH_EXTENSIONS_DIR', str(tmp_path / 'ext'))
    else:
        monkeypatch.delenv('TORCH_EXTENSIONS_DIR', raising=False)
        monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    assert extension_build_dir(SHM_COMM) == \
        cpp_extension._get_build_directory(SHM_COMM, verbose=False)


def test_stale_lock_fails_fast_naming_it(extensions_dir, logger):
    pytest.importorskip('deepspeed')
    lock = plant_lock(extensions_dir, age_seconds=3600)
    start = time.time()
    with pytest.raises(RuntimeError) as error:
        check_deepspeed_ops(logger=logger)
    assert time.time() - start < 5
    assert f'rm {lock}' in str(error.value)
    assert "DeepSpeed's shm_comm op" in str(error.value)


def test_young_lock_without_a_build_is_waited_for_then_fails(
        extensions_dir, logger, caplog):
    lock = plant_lock(extensions_dir, age_seconds=0)
    with pytest.raises(RuntimeError, match=re.escape(f'rm {lock}')):
        wait_for_build_lock(
            SHM_COMM, stale_after=0.5, poll_seconds=0.1, logger=logger)
    # The user saw at once what it waits for and how to end it.
    waiting = [r.message for r in caplog.records if 'Waiting' in r.message]
    assert len(waiting) == 1
    assert 'no process of this machine is building it' in waiting[0]
    assert f'rm {lock}' in waiting[0]


def test_lock_of_a_running_build_is_waited_for(extensions_dir, logger, caplog):
    # An old lock whose folder a process works in (as ninja and the
    # compiler do) is a build in progress: wait until it ends.
    lock = plant_lock(extensions_dir, age_seconds=3600)
    compiler = subprocess.Popen(['sleep', '30'], cwd=lock.parent)
    try:
        assert build_processes(str(lock.parent)) == [compiler.pid]
        threading.Timer(1.0, lock.unlink).start()
        start = time.time()
        wait_for_build_lock(
            SHM_COMM, stale_after=0.5, poll_seconds=0.1, logger=logger)
        assert 0.9 < time.time() - start < 10
    finally:
        compiler.kill()
        compiler.wait()
    assert f'processes {compiler.pid} of this machine are building it' in \
        caplog.text


def test_build_is_announced_until_built_here(extensions_dir, logger, caplog,
                                             monkeypatch):
    ops_dir = '/envs/a/site-packages/deepspeed/ops'
    monkeypatch.setattr(torch_extensions, 'deepspeed_jit_ops',
                        lambda: [SHM_COMM])
    monkeypatch.setattr(torch_extensions, '_deepspeed_ops_dir',
                        lambda: ops_dir)
    check_deepspeed_ops(logger=logger)
    assert "Building DeepSpeed's shm_comm op" in caplog.text
    # Built by another environment sharing the cache: rebuilt, said so.
    build_dir = extensions_dir / SHM_COMM
    build_dir.mkdir(parents=True)
    (build_dir / f'{SHM_COMM}.so').touch()
    (build_dir / 'build.ninja').write_text(
        'cflags = -I/envs/b/site-packages/deepspeed/ops/csrc/cpu/includes\n')
    caplog.clear()
    check_deepspeed_ops(logger=logger)
    assert "Rebuilding DeepSpeed's shm_comm op" in caplog.text
    assert 'TORCH_EXTENSIONS_DIR' in caplog.text
    # Built from these sources: loaded, nothing to say.
    (build_dir / 'build.ninja').write_text(f'cflags = -I{ops_dir}/csrc\n')
    caplog.clear()
    check_deepspeed_ops(logger=logger)
    assert 'uilding' not in caplog.text


def test_deepspeed_builds_shm_comm_on_cpu():
    deepspeed = pytest.importorskip('deepspeed')
    from deepspeed.accelerator import get_accelerator
    if get_accelerator()._name != 'cpu':
        pytest.skip('the shm_comm op is built on the CPU accelerator')
    from deepspeed.git_version_info import installed_ops
    expected = [] if installed_ops.get(SHM_COMM) else [SHM_COMM]
    assert deepspeed.ops.__compatible_ops__.get(SHM_COMM)
    assert torch_extensions.deepspeed_jit_ops() == expected


def test_train_with_a_stale_lock_fails_fast(extensions_dir, tmp_path):
    # What hung forever: a DeepSpeed run after a killed build of the op.
    pytest.importorskip('deepspeed')
    lock = plant_lock(extensions_dir, age_seconds=3600)
    env = dict(
        os.environ,
        TORCH_EXTENSIONS_DIR=str(extensions_dir),
        RANK='0',
        LOCAL_RANK='0',
        WORLD_SIZE='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(free_port()))
    result = run_tool([
        'tools/train.py', SCALE_OUT_CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--launcher', 'pytorch'
    ],
                      timeout=120,
                      check=False,
                      env=env)
    assert result.returncode != 0
    assert f'rm {lock}' in result.stdout + result.stderr
