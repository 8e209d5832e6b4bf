# Copyright (c) mmvg contributors. All rights reserved.
"""The LAVT converters on fixtures of the official key names and shapes.

``tests/data/lavt/*.json`` list every tensor (name -> shape) of the official
checkpoints: ``lavt`` (``model`` + ``bert_model``), ``lavt_one`` (BERT inside
``model``) with Swin-B window 12 and BERT-base, and the ImageNet-22k
``swin_base_patch4_window12_384_22k.pth``. The models are built on the meta
device, so the full-size checks allocate no weights.
"""
import json
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmvg.testing import build_on_meta, get_config_path, import_tool
from mmvg.utils import register_all_modules

register_all_modules()

FIXTURES = osp.join(osp.dirname(__file__), '..', '..', 'data', 'lavt')
# Parameters of the official lavt / lavt_one (Swin-B window 12 + BERT-base
# without pooler): 118,847,866 in the segmentation model plus 108,891,648
# in BERT, counted by instantiating the official code.
OFFICIAL_NUM_PARAMS = 227_739_514

BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    type_vocab_size=2)
SWIN_B = dict(
    type='LAVTSwinTransformer',
    pretrain_img_size=384,
    embed_dims=128,
    depths=(2, 2, 18, 2),
    num_heads=(4, 8, 16, 32),
    window_size=12,
    drop_path_rate=0.3)


def fixture(name, device='meta'):
    with open(osp.join(FIXTURES, name)) as f:
        layout = json.load(f)
    return {
        part: {
            k: torch.empty(shape, device=device)
            for k, shape in keys.items()
        }
        for part, keys in layout.items()
    }


def build_full(model_type):
    cfg = dict(
        type=model_type,
        text_encoder=dict(
            type='BertTextEncoder', config=BERT_BASE, add_pooling_layer=False),
        backbone=SWIN_B,
        head=dict(type='LAVTMaskHead', in_channels=(128, 256, 512, 1024)))
    return build_on_meta(cfg)


@pytest.mark.parametrize('model_type,layout',
                         [('LAVT', 'lavt_keys.json'),
                          ('LAVTOne', 'lavt_one_keys.json')])
def test_lavt_converter_maps_every_key(model_type, layout):
    converter = import_tool('model_converters/lavt_to_mmvg.py')
    model = build_full(model_type)
    state_dict = converter.convert(fixture(layout))
    model.load_state_dict(state_dict, strict=True)
    assert sum(p.numel() for p in model.parameters()) == OFFICIAL_NUM_PARAMS


def test_lavt_converter_values_and_unknown_keys():
    converter = import_tool('model_converters/lavt_to_mmvg.py')
    weight = torch.randn(128, 128, 1)
    ckpt = fixture('lavt_one_keys.json', device='cpu')
    ckpt['model']['backbone.layers.0.fusion.image_lang_att.W.0.weight'] = (
        weight)
    out = converter.convert(ckpt)
    assert torch.equal(out['backbone.pwams.0.attn.out_proj.weight'],
                       weight[..., 0])
    ckpt['model']['backbone.layers.0.fusion.extra.0.weight'] = weight
    with pytest.raises(KeyError, match='fusion.extra'):
        converter.convert(ckpt)
    with pytest.raises(KeyError, match='bert_model'):
        converter.convert({'model': {'classifier.conv1_1.bias': weight}})


def test_swin_converter_initialises_the_backbone():
    converter = import_tool('model_converters/swin_to_mmvg_lavt.py')
    state_dict = converter.convert(
        fixture('swin_base_patch4_window12_384_22k_keys.json'))
    backbone = build_on_meta(SWIN_B)
    stripped = {k[len('backbone.'):]: v for k, v in state_dict.items()}
    missing, unexpected = backbone.load_state_dict(stripped, strict=False)
    assert unexpected == []
    # Only LAVT's own modules are left to initialise.
    assert missing and all(
        re.match(r'(pwams|lang_gates)\.\d\.|norm\d\.', k) for k in missing)
    backbone.load_state_dict(
        dict(
            stripped, **{
                k: v
                for k, v in backbone.state_dict().items() if k in missing
            }),
        strict=True)


def test_swin_converter_refuses_window7():
    converter = import_tool('model_converters/swin_to_mmvg_lavt.py')
    ckpt = fixture('swin_base_patch4_window12_384_22k_keys.json')
    ckpt['model'] = {
        k: (torch.empty(169, v.shape[1], device='meta')
            if k.endswith('relative_position_bias_table') else v)
        for k, v in ckpt['model'].items()
    }
    with pytest.raises(ValueError, match='window size 7.*window size 12'):
        converter.convert(ckpt, window_size=12, source='window7.pth')


def test_dice_config_builds_the_official_size():
    cfg = Config.fromfile(
        get_config_path(
            'lavt/lavt-one_swin-b_bert-base_dice_8xb4-40e_refcoco.py'))
    cfg.model.text_encoder = dict(
        type='BertTextEncoder', config=BERT_BASE, add_pooling_layer=False)
    model = build_on_meta(cfg.model)
    assert model.head.loss_ce is None
    assert model.head.loss_dice is not None
    assert sum(p.numel() for p in model.parameters()) == OFFICIAL_NUM_PARAMS
