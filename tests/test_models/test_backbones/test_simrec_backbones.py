# Copyright (c) mmvg contributors. All rights reserved.
"""SimREC's CSPDarkNetV6 and MCN's DarkNet53 against the official facts.

``tests/data/simrec/*.json`` list every state-dict tensor (name -> shape,
in order) of the official ``CspDarkNet`` and ``DarkNet53``
(luogen1996/SimREC e8136cc), dumped once from the official classes.
"""
import json
import os.path as osp

import pytest
import torch
import torch.nn as nn

from mmvg.models.backbones import CSPDarkNetV6, DarkNet53
from mmvg.testing import build_on_meta
from mmvg.utils import register_all_modules

register_all_modules()

FIXTURES = osp.join(osp.dirname(__file__), '..', '..', 'data', 'simrec')
# Parameters of the official classes, counted by instantiating
# simrec.models.backbones.CspDarkNet / DarkNet53 (e8136cc) and summing
# p.numel() over parameters().
OFFICIAL_CSPDARKNET_PARAMS = 26_582_912
OFFICIAL_DARKNET53_PARAMS = 56_322_784
# (class, official key fixture, parameters, frozen layers of the official
# freeze_backbone=True: all but the last two).
BACKBONES = [
    (CSPDarkNetV6, 'cspdarknet_coco_keys.json', OFFICIAL_CSPDARKNET_PARAMS, 7),
    (DarkNet53, 'darknet53_keys.json', OFFICIAL_DARKNET53_PARAMS, 11),
]
TINY = dict(deepen_factor=0.33, widen_factor=0.0625)


def official_layout(name):
    with open(osp.join(FIXTURES, name)) as f:
        return json.load(f)


@pytest.mark.parametrize('backbone_cls,fixture,num_params,_', BACKBONES)
def test_official_size_and_keys(backbone_cls, fixture, num_params, _):
    backbone = build_on_meta(dict(type=backbone_cls.__name__))
    assert sum(p.numel() for p in backbone.parameters()) == num_params
    layout = official_layout(fixture)
    state_dict = backbone.state_dict()
    # Same names in the same order (the darknet file order) and shapes.
    assert list(state_dict) == list(layout)
    assert {k: list(v.shape) for k, v in state_dict.items()} == layout
    backbone.load_state_dict(
        {
            k: torch.empty(s, device='meta')
            for k, s in layout.items()
        },
        strict=True)


@pytest.mark.parametrize('backbone_cls', [CSPDarkNetV6, DarkNet53])
def test_outputs_at_strides_8_16_32(backbone_cls):
    backbone = backbone_cls().eval()
    with torch.no_grad():
        outs = backbone(torch.rand(2, 3, 96, 64))
    assert [tuple(o.shape) for o in outs] == [(2, 256, 12, 8), (2, 512, 6, 4),
                                              (2, 1024, 3, 2)]


def test_out_indices_and_sized_down():
    x = torch.rand(1, 3, 64, 64)
    # The official multi_scale_outputs=False: the last layer only.
    (last, ) = CSPDarkNetV6(out_indices=(9, ), **TINY).eval()(x)
    assert last.shape == (1, 64, 2, 2)
    outs = DarkNet53(out_indices=(2, 6), **TINY).eval()(x)
    assert [o.shape[1:] for o in outs] == [(4, 32, 32), (16, 8, 8)]
    with pytest.raises(ValueError, match=r'out_indices.*\[0, 9\]'):
        CSPDarkNetV6(out_indices=(4, 10), **TINY)
    with pytest.raises(ValueError, match='out_indices'):
        DarkNet53(out_indices=(8, 6), **TINY)
    with pytest.raises(ValueError, match=r'frozen_stages.*\[-1, 13\]'):
        DarkNet53(frozen_stages=14, **TINY)


@pytest.mark.parametrize('backbone_cls,_,__,frozen', BACKBONES)
def test_freezing_keeps_batchnorm_training(backbone_cls, _, __, frozen):
    backbone = backbone_cls(frozen_stages=frozen, **TINY)
    backbone.train()
    for name, param in backbone.named_parameters():
        layer = int(name.split('.')[1])
        assert param.requires_grad == (layer > frozen), name
    frozen_bns = [
        m for name, m in backbone.named_modules()
        if isinstance(m, nn.BatchNorm2d) and int(name.split('.')[1]) <= frozen
    ]
    assert frozen_bns and all(bn.training for bn in frozen_bns)
    # Train-mode BatchNorm of a frozen layer still updates its statistics.
    stem_bn = frozen_bns[0]
    before = stem_bn.running_mean.clone()
    sum(o.sum() for o in backbone(torch.rand(2, 3, 64, 64))).backward()
    assert not torch.equal(stem_bn.running_mean, before)
    assert all(p.grad is None for p in stem_bn.parameters())
    assert all(p.grad is not None for p in backbone.layers[-1].parameters())


@pytest.mark.parametrize('cls,out_indices,num_layers', [
    (CSPDarkNetV6, (2, 4, 6), 7),
    (DarkNet53, (4, 6, 8), 9),
])
def test_layers_after_the_last_output_are_not_built(cls, out_indices,
                                                    num_layers):
    """A backbone truncated by ``out_indices`` (the quick starts' stride-16
    variants) holds no parameters it never runs."""
    model = cls(
        widen_factor=0.125, deepen_factor=0.33, out_indices=out_indices)
    assert len(model.layers) == num_layers
    outs = model(torch.rand(1, 3, 64, 64))
    assert [64 // o.shape[-1] for o in outs] == [4, 8, 16]
    outs[-1].sum().backward()
    assert all(p.grad is not None for p in model.parameters())
