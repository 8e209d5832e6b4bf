# Copyright (c) mmvg contributors. All rights reserved.
"""Crash safety: atomic checkpoint writes, resuming from the last complete
checkpoint, and a killed run resumed to the uninterrupted result."""
import os
import os.path as osp

import pytest
import torch

from mmvg.engine import (find_latest_complete_checkpoint,
                         is_complete_checkpoint, load_checkpoint_file)
from mmvg.engine.crash_safety import COMPLETE_MARKER, atomic_write
from mmvg.testing import run_tool

TOY_ITER = osp.abspath(
    osp.join(osp.dirname(__file__), '..', 'data', 'scale_out', 'toy_iter.py'))


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    atomic_write(b'old', path)

    def crash(fd):
        raise OSError('disk gone')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(OSError, match='disk gone'):
        atomic_write(b'new and longer', path)
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['epoch_1.pth']


def test_atomic_write_gives_the_mode_of_a_plain_open(tmp_path):
    mask = os.umask(0o022)
    try:
        atomic_write(b'weights', tmp_path / 'epoch_1.pth')
    finally:
        os.umask(mask)
    assert os.stat(tmp_path / 'epoch_1.pth').st_mode & 0o777 == 0o644


def test_resume_picks_only_complete_checkpoints(tmp_path):
    torch.save(dict(state_dict={}), tmp_path / 'iter_2.pth')
    # a kill during torch.save leaves a truncated file
    torch.save(
        dict(state_dict=dict(w=torch.zeros(1000))), tmp_path / 'iter_4.pth')
    data = (tmp_path / 'iter_4.pth').read_bytes()
    (tmp_path / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    # a DeepSpeed directory whose ranks did not all finish
    (tmp_path / 'iter_6.pth').mkdir()
    (tmp_path / 'iter_6.pth' / 'mp_rank_00_model_states.pt').write_bytes(b'')
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text(str(tmp_path / 'iter_6.pth'))
    assert not is_complete_checkpoint(str(tmp_path / 'iter_4.pth'))
    assert find_latest_complete_checkpoint(str(tmp_path)) == str(tmp_path /
                                                                 'iter_2.pth')
    # an empty pointer (killed while writing it) falls back to the scan
    pointer.write_text('')
    (tmp_path / 'iter_6.pth' / COMPLETE_MARKER).write_text('complete')
    assert find_latest_complete_checkpoint(str(tmp_path)) == str(tmp_path /
                                                                 'iter_6.pth')
    assert find_latest_complete_checkpoint(str(tmp_path / 'none')) is None


def test_sharded_directory_refused_with_converter_named(tmp_path):
    with pytest.raises(ValueError, match='sharded_to_pth.py'):
        load_checkpoint_file(str(tmp_path))


def test_kill_mid_epoch_and_resume_matches_uninterrupted(tmp_path):
    args = ['tools/train.py', TOY_ITER, '--work-dir']
    run_tool(args + [str(tmp_path / 'whole')])
    killed = run_tool(
        args + [
            str(tmp_path / 'killed'), '--cfg-options',
            'custom_hooks.0.kill_iter=5'
        ],
        check=False)
    assert killed.returncode != 0
    assert not osp.exists(tmp_path / 'killed' / 'iter_6.pth')
    resumed = run_tool(args + [str(tmp_path / 'killed'), '--resume'])
    log = ' '.join((resumed.stdout + resumed.stderr).split())
    assert 'resumed epoch: 0, iter: 4' in log
    whole = torch.load(tmp_path / 'whole' / 'iter_8.pth', weights_only=False)
    again = torch.load(tmp_path / 'killed' / 'iter_8.pth', weights_only=False)
    for key, value in whole['state_dict'].items():
        torch.testing.assert_close(
            again['state_dict'][key], value, rtol=0, atol=0)
