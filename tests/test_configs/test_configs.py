# Copyright (c) mmvg contributors. All rights reserved.
"""Every config under configs/ parses; every leaf config builds."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmvg.registry import MODELS
from mmvg.utils import register_all_modules

CONFIG_ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs')
ALL_CONFIGS = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True))
LEAF_CONFIGS = [c for c in ALL_CONFIGS if '_base_' not in c]


def _name(path):
    return osp.relpath(path, CONFIG_ROOT)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_name)
def test_config_parses(path):
    Config.fromfile(path)


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=_name)
def test_leaf_config_builds(path, tmp_path):
    """Build the model, the datasets' configs and the evaluators.

    Datasets whose files are absent (real benchmarks are not on CI
    machines) must say which path is missing.
    """
    register_all_modules()
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    assert cfg.default_scope == 'mmvg'
    MODELS.build(cfg.model)
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        try:
            Runner.build_dataloader(loader)
        except FileNotFoundError as error:
            assert 'data' in str(error)
        if split != 'train':
            Runner.build_evaluator(None, cfg.get(f'{split}_evaluator'))


def test_only_the_from_scratch_vltvg_quick_start_adds_training_aids():
    """The paper trains the verification scores from the box loss alone,
    from DETR weights; the BoxMapLoss and the CellCategoryHead are
    from-scratch aids of the synthetic quick start."""
    vltvg = [c for c in LEAF_CONFIGS if osp.basename(c).startswith('vltvg_')]
    assert len(vltvg) > 10
    for path in vltvg:
        cfg = Config.fromfile(path)
        loss = cfg.model.get('verification_loss')
        head = cfg.model.get('category_head')
        if 'synthetic' in path:
            assert loss['type'] == 'BoxMapLoss', path
            assert head['type'] == 'CellCategoryHead', path
            # The head needs the category labels in training.
            load = cfg.train_dataloader.dataset.pipeline[1]
            assert load == dict(type='LoadVGAnnotations', with_category=True)
        else:
            assert loss is None and head is None, path
