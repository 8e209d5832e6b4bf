# Copyright (c) mmvg contributors. All rights reserved.
import json
import os.path as osp

import pytest
import torch

from mmvg.datasets.tokenizers import split_words
from mmvg.testing import (demo_vg_inputs, get_config_path, get_grounder_cfg,
                          get_resource_dir, get_tool_path)
from mmvg.testing.in_memory import WORDS, InMemoryVGDataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_MODELS = ('_base_/models/vltvg_r18-tiny.py',
               '_base_/models/lavt_swin-tiny.py')


def _package(root, checkout=False, mim=False):
    """A fake mmvg layout under ``root``; returns the package dir."""
    package = root / 'mmvg'
    package.mkdir(parents=True)
    if checkout:
        (root / 'setup.py').write_text('')
        models = root / 'configs' / '_base_' / 'models'
        models.mkdir(parents=True)
        (models / 'm.py').write_text("model = dict(type='FromCheckout')\n")
    if mim:
        models = package / '.mim' / 'configs' / '_base_' / 'models'
        models.mkdir(parents=True)
        (models / 'm.py').write_text("model = dict(type='FromMim')\n")
        (package / '.mim' / 'tools').mkdir()
        (package / '.mim' / 'tools' / 'train.py').write_text('')
    return str(package)


def test_checkout_configs_and_tools():
    assert get_resource_dir('configs') == osp.join(REPO_ROOT, 'configs')
    assert get_config_path('_base_/default_runtime.py') == osp.join(
        REPO_ROOT, 'configs', '_base_', 'default_runtime.py')
    assert get_tool_path('train.py') == osp.join(REPO_ROOT, 'tools',
                                                 'train.py')
    with pytest.raises(FileNotFoundError, match='No config nowhere.py'):
        get_config_path('nowhere.py')


def test_installed_package_reads_mim(tmp_path):
    package = _package(tmp_path / 'site', mim=True)
    cfg = get_grounder_cfg('_base_/models/m.py', package)
    assert cfg.type == 'FromMim'
    assert get_tool_path('train.py', package).endswith(
        osp.join('.mim', 'tools', 'train.py'))


def test_checkout_wins_over_stale_mim_copy(tmp_path):
    package = _package(tmp_path, checkout=True, mim=True)
    assert get_grounder_cfg('_base_/models/m.py', package).type == \
        'FromCheckout'


def test_no_configs_says_how_to_install(tmp_path):
    package = _package(tmp_path)
    with pytest.raises(FileNotFoundError, match='pip install'):
        get_config_path('_base_/models/m.py', package)


def test_grounder_cfg_is_a_copy():
    cfg = get_grounder_cfg(TINY_MODELS[0])
    cfg.backbone.depth = 0
    assert get_grounder_cfg(TINY_MODELS[0]).backbone.depth != 0
    with pytest.raises(KeyError, match='defines no model'):
        get_grounder_cfg('_base_/default_runtime.py')


@pytest.mark.parametrize('path', TINY_MODELS)
def test_tiny_models_build(path):
    from mmvg.registry import MODELS
    from mmvg.utils import register_all_modules
    register_all_modules()
    model = MODELS.build(get_grounder_cfg(path))
    # small enough for CPU tests and the quick starts
    assert sum(p.numel() for p in model.parameters()) < 2e6


def test_in_memory_words_are_in_the_test_vocabulary():
    with open(osp.join(REPO_ROOT, 'tests', 'data', 'scale_out',
                       'vocab.json')) as f:
        vocab = json.load(f)
    dataset = InMemoryVGDataset(num_samples=16)
    words = {
        word
        for i in range(len(dataset))
        for word in split_words(dataset[i]['data_samples'].text)
    }
    assert words <= set(WORDS) <= set(vocab)


def test_demo_inputs():
    batch = demo_vg_inputs(
        batch_size=3,
        image_shapes=((32, 48), (40, 24)),
        with_mask=True,
        scale_factor=(2.0, 0.5))
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 32, 48),
                                                         (3, 40, 24),
                                                         (3, 32, 48)]
    sample = batch['data_samples'][1]
    assert sample.ori_shape == (80, 12)
    assert sample.text == sample.ori_text
    box = sample.gt_instances.bboxes[0]
    assert (box[2:] > box[:2]).all() and box[2] <= 24 and box[3] <= 40
    assert sample.gt_instances.masks.masks.shape == (1, 40, 24)
    assert batch['inputs'][0].dtype == torch.uint8
