# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp

import pytest
import torch

from mmvg.registry import MODELS
from mmvg.testing import get_config_path, import_tool
from mmvg.utils import register_all_modules

FIXTURE = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'vltvg',
    'vltvg_r50_official_keys.txt')
OFFICIAL_R50_PARAMS = 152_077_254


def _converter():
    return import_tool('model_converters/vltvg_to_mmvg.py')


def _official_shapes():
    shapes = {}
    with open(FIXTURE) as f:
        for line in f:
            if line.startswith('#'):
                continue
            key, shape = line.split()
            shapes[key] = tuple(int(s) for s in shape.split(','))
    return shapes


def _r50_on_meta():
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(
        get_config_path('vltvg/vltvg_r50_bert-base_4xb16-90e_refcoco.py'))
    with torch.device('meta'):
        return MODELS.build(cfg.model)


def test_every_official_key_loads_strictly():
    shapes = _official_shapes()
    state_dict = {
        key: torch.empty(shape, device='meta')
        for key, shape in shapes.items()
    }
    converted = _converter().convert_vltvg(state_dict)
    assert len(converted) == len(state_dict)
    model = _r50_on_meta()
    # strict: every key present on both sides with the same shape
    model.load_state_dict(converted, strict=True, assign=True)
    num_params = sum(p.numel() for p in model.parameters())
    assert num_params == OFFICIAL_R50_PARAMS


def test_other_model_lists_the_mismatch():
    state_dict = {
        'backbone.0.body.conv1.weight': torch.zeros(1),
        'sam_decoder.mask_tokens.weight': torch.zeros(1),
        'transformer.decoder.layers.0.norm1.weight': torch.zeros(1),
    }
    with pytest.raises(KeyError) as error:
        _converter().convert_vltvg(state_dict)
    message = str(error.value)
    assert 'sam_decoder.mask_tokens.weight' in message
    assert 'transformer.decoder.layers.0.norm1.weight' in message
    assert 'backbone.0.body.conv1.weight' not in message


def test_detr_checkpoint_gives_the_visual_part():
    converter = _converter()
    state_dict = {
        'backbone.0.body.layer1.0.bn1.running_var': torch.ones(2),
        'input_proj.weight': torch.ones(2),
        'transformer.encoder.layers.3.norm2.bias': torch.ones(2),
        'transformer.encoder.layers.3.linear1.weight': torch.ones(2),
        'transformer.decoder.layers.0.norm1.weight': torch.ones(2),
        'query_embed.weight': torch.ones(2),
        'class_embed.weight': torch.ones(2),
    }
    assert set(converter.convert_detr(state_dict)) == {
        'backbone.layer1.0.bn1.running_var', 'input_proj.weight',
        'visual_encoder.layers.3.norms.1.bias',
        'visual_encoder.layers.3.ffn.layers.0.0.weight'
    }


def test_converter_script(tmp_path):
    converter = _converter()
    src, dst = tmp_path / 'official.pth', tmp_path / 'mmvg.pth'
    import argparse
    torch.save(
        dict(
            model={'bert_proj.weight': torch.ones(2, 2)},
            args=argparse.Namespace(lr=1e-4)), src)
    converted = converter.convert_vltvg(converter.load_official(str(src)))
    torch.save(dict(state_dict=converted), dst)
    loaded = torch.load(dst)
    assert torch.equal(loaded['state_dict']['text_proj.weight'],
                       torch.ones(2, 2))
