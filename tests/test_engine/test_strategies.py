# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp

import pytest
import torch
from vg_test_utils import TOY_DIR, run_tool

from mmvg.registry import STRATEGIES
from mmvg.utils import register_all_modules

deepspeed = pytest.importorskip('deepspeed')


def test_mmengine_deepspeed_strategy_breaks_on_new_deepspeed():
    # the breakage mmvg's strategy fixes (deepspeed >= 0.17)
    from mmengine._strategy import DeepSpeedStrategy
    with pytest.raises(ImportError):
        DeepSpeedStrategy()


def test_mmvg_deepspeed_strategy_builds():
    register_all_modules()
    strategy = STRATEGIES.build(
        dict(type='DeepSpeedStrategy', zero_optimization=dict(stage=2)))
    assert strategy.config['zero_optimization']['stage'] == 2


def test_deepspeed_optim_wrapper_from_model_config():
    register_all_modules()
    strategy = STRATEGIES.build(dict(type='DeepSpeedStrategy'))
    cfg = strategy._to_deepspeed_optim_wrapper(
        dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-4),
            clip_grad=dict(max_norm=0.1),
            accumulative_counts=4))
    assert cfg == dict(
        type='DeepSpeedOptimWrapper', optimizer=dict(type='AdamW', lr=1e-4))
    assert strategy.config['gradient_clipping'] == 0.1
    assert strategy.config['gradient_accumulation_steps'] == 4
    with pytest.raises(ValueError, match='bf16'):
        strategy._to_deepspeed_optim_wrapper(dict(type='AmpOptimWrapper'))


def _train_resume(tmp_path, config_name):
    config = osp.join(TOY_DIR, config_name)
    args = ['tools/train.py', config, '--work-dir', str(tmp_path)]
    run_tool(args + ['--cfg-options', 'train_cfg.max_epochs=1'], nproc=2)
    result = run_tool(args + ['--resume'], nproc=2)
    log = ' '.join((result.stdout + result.stderr).split())
    assert 'box_error' in log
    assert 'Epoch(train) [1]' not in log
    assert 'Epoch(train) [2]' in log
    return log


def test_deepspeed_zero2_trains_saves_resumes(tmp_path):
    _train_resume(tmp_path, 'toy_grounder_deepspeed_zero2.py')
    assert osp.isdir(tmp_path / 'epoch_2.pth')


def test_deepspeed_zero3_trains_saves_resumes(tmp_path):
    _train_resume(tmp_path, 'toy_grounder_deepspeed_zero3.py')
    assert osp.isdir(tmp_path / 'epoch_2.pth')


def test_fsdp_trains_saves_resumes(tmp_path):
    _train_resume(tmp_path, 'toy_grounder_fsdp.py')
    checkpoint = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)
    assert checkpoint['state_dict']['box.weight'].shape == (4, 192)
