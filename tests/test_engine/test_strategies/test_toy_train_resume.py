# Copyright (c) mmvg contributors. All rights reserved.
"""Each strategy trains, saves and resumes the toy grounder on 2 processes
through tools/train.py."""
import os.path as osp

import pytest
import torch

from mmvg.testing import run_tool

TOY_DIR = osp.join(osp.dirname(__file__), '..', '..', 'data', 'toy')


@pytest.mark.parametrize('config', [
    'toy_grounder_deepspeed_zero2.py', 'toy_grounder_deepspeed_zero3.py',
    'toy_grounder_fsdp.py'
])
def test_trains_saves_resumes(config, tmp_path):
    if 'deepspeed' in config:
        pytest.importorskip('deepspeed')
    args = [
        'tools/train.py',
        osp.join(TOY_DIR, config), '--work-dir',
        str(tmp_path)
    ]
    run_tool(args + ['--cfg-options', 'train_cfg.max_epochs=1'], nproc=2)
    result = run_tool(args + ['--resume'], nproc=2)
    log = ' '.join((result.stdout + result.stderr).split())
    assert 'box_error' in log
    assert 'Epoch(train) [1]' not in log
    assert 'Epoch(train) [2]' in log
    if 'deepspeed' in config:
        # a directory of shards
        assert osp.isdir(tmp_path / 'epoch_2.pth')
    else:
        # FSDP saves whole weights
        checkpoint = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)
        assert checkpoint['state_dict']['box.weight'].shape == (4, 192)
