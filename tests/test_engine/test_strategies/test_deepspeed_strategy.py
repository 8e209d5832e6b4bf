# Copyright (c) mmvg contributors. All rights reserved.
"""mmvg's DeepSpeedStrategy: construction on new deepspeed, the optimizer
wrapper from the model config, batch checks."""
import pytest

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


def test_deepspeed_batch_not_divisible_by_world_size():
    register_all_modules()
    strategy = STRATEGIES.build(
        dict(type='DeepSpeedStrategy', config=dict(train_batch_size=30)))
    with pytest.raises(ValueError, match='30.*4 processes.*4 per process'):
        strategy.check_batch_size(micro_batch_size=4, world_size=4)
    strategy.config['train_batch_size'] = 32
    strategy.check_batch_size(micro_batch_size=4, world_size=4)
    assert strategy.config['gradient_accumulation_steps'] == 2
