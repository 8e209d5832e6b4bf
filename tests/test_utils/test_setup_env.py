# Copyright (c) mmvg contributors. All rights reserved.
import pytest
from mmengine.registry import DefaultScope

from mmvg.registry import MODELS, RUNNERS, STRATEGIES
from mmvg.utils import register_all_modules


def test_builds_mmdet_and_mmvg_modules_by_bare_name():
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmvg'
    # mmdet's parts through the parent registry
    resnet = MODELS.build(dict(type='ResNet', depth=18))
    assert type(resnet).__module__.startswith('mmdet.')
    giou = MODELS.build(dict(type='GIoULoss', loss_weight=2.0))
    assert type(giou).__name__ == 'GIoULoss'
    # mmvg's own parts win over mmengine's of the same name
    assert RUNNERS.get('VGRunner').__module__ == 'mmvg.engine.runner'
    strategy = STRATEGIES.get('DeepSpeedStrategy')
    assert strategy.__module__ == 'mmvg.engine.strategies.strategies'


def test_typo_in_type_names_the_scope():
    register_all_modules()
    with pytest.raises(KeyError, match='mmvg::model'):
        MODELS.build(dict(type='ResNett', depth=18))
