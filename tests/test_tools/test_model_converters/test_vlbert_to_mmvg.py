# Copyright (c) mmvg contributors. All rights reserved.
"""The VL-BERT converter.

``tests/data/vlbert/vlbert_base_model_keys.json`` lists every tensor
(name -> shape) of the official ``ResNetVLBERT`` state dict (jackroos/
VL-BERT at 4373674, built from cfgs/refcoco/base_detected_regions_4x16G
.yaml): 893 keys, the RoI head under two names. The full-size model is
built on the meta device; the command line runs on the tiny config's
weights renamed to the official layout.
"""
import json
import os.path as osp

import pytest
import torch

from mmvg.registry import MODELS
from mmvg.testing import build_on_meta, get_grounder_cfg, import_tool, run_tool
from mmvg.utils import register_all_modules

register_all_modules()
FIXTURE = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'vlbert',
    'vlbert_base_model_keys.json')
# mmvg's prefixes -> the official ones (the facts)
OFFICIAL = {
    'backbone.': 'image_feature_extractor.backbone.',
    'roi_head.': 'image_feature_extractor.roi_head_feature_extractor.',
    'obj_downsample.': 'image_feature_extractor.obj_downsample.',
    'object_linguistic_embeddings.': 'object_linguistic_embeddings.',
    'vlbert.': 'vlbert.',
    'head.final_mlp.': 'final_mlp.',
}
TWIN = 'image_feature_extractor.head.0.'
PRETRAINING_ONLY = {
    'object_mask_word_embedding.weight': [1, 768],
    'aux_text_visual_embedding.weight': [1, 768],
    'vlbert.mlm_head.predictions.bias': [30522],
    'vlbert.mlm_head.predictions.transform.dense.weight': [768, 768],
    'vlbert.mlm_head.predictions.decoder.weight': [30522, 768],
    'vlbert.mvrc_head.region_cls_pred.weight': [1601, 768],
}


@pytest.fixture(scope='module')
def converter():
    return import_tool('model_converters/vlbert_to_mmvg.py')


@pytest.fixture(scope='module')
def base_model():
    return build_on_meta(
        get_grounder_cfg('_base_/models/vlbert_r101_bert-base.py'))


def official_random(layout=None):
    """Random tensors with the official names and shapes; the RoI head's
    two names hold the same tensors, as in an official file."""
    if layout is None:
        with open(FIXTURE) as f:
            layout = json.load(f)
    generator = torch.Generator().manual_seed(0)
    state_dict = {}
    for name, shape in layout.items():
        if name.startswith(TWIN):
            twin = name.replace(TWIN, OFFICIAL['roi_head.'])
            state_dict[name] = state_dict[twin]
        elif name.endswith('num_batches_tracked'):
            state_dict[name] = torch.tensor(0)
        else:
            state_dict[name] = torch.rand(shape, generator=generator)
    return state_dict


def test_every_official_key_loads_strictly(converter, base_model):
    official = official_random()
    assert len(official) == 893
    converted, dropped = converter.convert_vlbert(official)
    assert dropped == [] and len(converted) == 893 - 60
    own = base_model.state_dict()
    assert list(converted) == list(own)
    assert all(converted[k].shape == own[k].shape for k in own)
    torch.testing.assert_close(
        converted['roi_head.2.conv3.weight'],
        official[OFFICIAL['roi_head.'] + '2.conv3.weight'])
    # a DDP-wrapped model's keys convert alike
    wrapped, _ = converter.convert_vlbert({
        f'module.{k}': v
        for k, v in official.items()
    })
    assert list(wrapped) == list(converted)


def test_pretrained_vlbert_maps_the_region_transform(converter, base_model):
    """The pre-trained model's region-classification transform becomes
    the head's first layer; its pre-training heads are left out; the last
    layer is not in it."""
    with open(FIXTURE) as f:
        layout = json.load(f)
    layout = {
        k: v
        for k, v in layout.items() if not k.startswith('final_mlp.')
    }
    layout.update(PRETRAINING_ONLY)
    layout['vlbert.mvrc_head.transform.dense.weight'] = [768, 768]
    layout['vlbert.mvrc_head.transform.dense.bias'] = [768]
    official = {f'module.{k}': v for k, v in official_random(layout).items()}
    converted, dropped = converter.convert_vlbert(official)
    assert sorted(dropped) == sorted(PRETRAINING_ONLY)
    torch.testing.assert_close(
        converted['head.final_mlp.0.dense.weight'],
        official['module.vlbert.mvrc_head.transform.dense.weight'])
    missing = set(base_model.state_dict()) - set(converted)
    assert missing == {'head.final_mlp.2.weight', 'head.final_mlp.2.bias'}


def test_resnet_becomes_backbone_and_roi_head(converter, base_model):
    with open(FIXTURE) as f:
        layout = json.load(f)
    prefix = OFFICIAL['backbone.']
    resnet = {
        k[len(prefix):]: v
        for k, v in layout.items() if k.startswith(prefix)
    }
    resnet.update({
        'layer4.' + k[len(OFFICIAL['roi_head.']):]: v
        for k, v in layout.items() if k.startswith(OFFICIAL['roi_head.'])
    })
    resnet.update({'fc.weight': [1000, 2048], 'fc.bias': [1000]})
    resnet = {k: torch.zeros(v) for k, v in resnet.items()}
    assert converter.is_resnet(resnet)
    converted = converter.convert_resnet(resnet)
    own = base_model.state_dict()
    assert set(converted) == {
        k
        for k in own if k.startswith(('backbone.', 'roi_head.'))
    }
    assert all(converted[k].shape == own[k].shape for k in converted)


def test_foreign_or_inconsistent_checkpoints_are_refused(converter):
    official = official_random()
    official['visu_trans.layers.0.weight'] = torch.zeros(2)
    with pytest.raises(KeyError, match='visu_trans.layers.0.weight'):
        converter.convert_vlbert(official)
    official = official_random()
    key = TWIN + '0.conv1.weight'
    official[key] = official[key] + 1
    with pytest.raises(ValueError, match='0.conv1.weight.*differs'):
        converter.convert_vlbert(official)
    with pytest.raises(KeyError, match='text_encoder.embedding'):
        converter.convert_resnet({
            'layer4.0.conv1.weight':
            torch.zeros(1),
            'text_encoder.embedding.weight':
            torch.zeros(1)
        })


def test_command_line_round_trip(tmp_path):
    """The tiny model's weights in the official layout (``module.``, the
    RoI head twice, ``{'state_dict': ...}``) convert back to themselves."""
    cfg = get_grounder_cfg('_base_/models/vlbert_r18-tiny.py')
    # The official model has no auxiliary heads.
    cfg.aux_heads = None
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    official = {}
    for key, value in model.state_dict().items():
        prefix = next(p for p in OFFICIAL if key.startswith(p))
        name = OFFICIAL[prefix] + key[len(prefix):]
        official[f'module.{name}'] = value
        if prefix == 'roi_head.':
            official[f'module.{TWIN}{key[len(prefix):]}'] = value
    src, dst = tmp_path / 'official.model', tmp_path / 'mmvg.pth'
    torch.save(dict(state_dict=official, optimizer={}), src)
    result = run_tool(
        ['tools/model_converters/vlbert_to_mmvg.py',
         str(src),
         str(dst)])
    assert 'of the VL-BERT' in result.stdout
    converted = torch.load(dst, weights_only=True)['state_dict']
    model.load_state_dict(converted, strict=True)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, converted[key])
