# Copyright (c) mmvg contributors. All rights reserved.
"""The SimVG / ALVG converter.

``tests/data/{simvg,alvg}/*_beit3-{base,large}_keys.json`` list every
tensor (name -> shape) of the official models (``MIXDETRMB``: torchscale's
BEiT3 at 640x640, patch 32, under ``vis_enc.beit3.``, and
``TextGuidedQuerySelectKDDETRHead`` with 1 query under ``head.``),
written by the official code at SimVG 29df6a4 (612 and 1,092 keys) and
ALVG 1fb2f7e (637 and 1,117). The full-size mmvg models are built on the
meta device.
"""
import json
import os.path as osp

import pytest
import torch

from mmvg.testing import build_on_meta, import_tool, run_tool
from mmvg.utils import register_all_modules

register_all_modules()
DATA = osp.join(osp.dirname(__file__), '..', '..', 'data')
TOOL = 'model_converters/simvg_to_mmvg.py'
WIDTHS = dict(base=768, large=1024)
NUM_KEYS = dict(
    simvg=dict(base=612, large=1092), alvg=dict(base=637, large=1117))
# The criteria's no-object weights: SimVG's distillation criterion has its
# own copy.
DROPPED = dict(
    simvg=[
        'head.criterion.empty_weight',
        'head.criterion_harddistill.empty_weight'
    ],
    alvg=['head.criterion.empty_weight'])


def official_keys(model: str, arch: str) -> dict:
    with open(osp.join(DATA, model, f'{model}_beit3-{arch}_keys.json')) as f:
        return json.load(f)


def model_cfg(model: str, arch: str) -> dict:
    return dict(
        type=dict(simvg='SimVG', alvg='ALVG')[model],
        backbone=dict(type='BEiT3', arch=arch),
        head=dict(
            type=dict(simvg='SimVGHead', alvg='ALVGHead')[model],
            in_channels=WIDTHS[arch]))


@pytest.mark.parametrize('model', ['simvg', 'alvg'])
@pytest.mark.parametrize('arch', ['base', 'large'])
def test_every_official_key_maps_strictly(model, arch):
    keys = official_keys(model, arch)
    assert len(keys) == NUM_KEYS[model][arch]
    # Trained under DDP: every key carries ``module.``.
    official = {
        'module.' + k: torch.empty(shape, device='meta')
        for k, shape in keys.items()
    }
    converted, dropped = import_tool(TOOL).convert_simvg(official)
    assert list(dropped) == DROPPED[model]
    built = build_on_meta(model_cfg(model, arch))
    expected = built.state_dict()
    assert set(converted) == set(expected)
    for key, value in converted.items():
        assert value.shape == expected[key].shape, key
    built.load_state_dict(converted, strict=True, assign=True)


def test_command_line_and_bad_input(tmp_path):
    keys = official_keys('simvg', 'base')
    state = {k: torch.zeros(1) for k in keys}
    for key in DROPPED['simvg']:
        state[key] = torch.tensor([1.0, 0.1])
    src, dst = tmp_path / 'simvg.pth', tmp_path / 'mmvg.pth'
    torch.save(dict(state_dict=state, epoch=30), src)
    out = run_tool([TOOL, str(src), str(dst)]).stdout
    assert 'Saved 610 tensors' in out and '[1.0, 0.1' in out
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert 'backbone.encoder.layers.11.ffn.A.fc2.weight' in converted
    assert 'head.decoder.layers.2.cross_attn.attn.in_proj_weight' in converted
    assert 'head.decoder.post_norm.weight' in converted
    assert 'head.token_mlp.layers.0.weight' in converted
    # No EMA weights in this file: the error names the file.
    with pytest.raises(KeyError, match='ema_state_dict'):
        import_tool(TOOL).main([str(src), str(dst), '--ema'])
    # Another model's checkpoint is refused, naming the file.
    other = tmp_path / 'vlbert.pth'
    torch.save(
        dict(state_dict={'vlbert.encoder.weight': torch.zeros(1)}), other)
    with pytest.raises(ValueError, match='vlbert.pth is not a SimVG or ALVG'):
        import_tool(TOOL).main([str(other), str(dst)])
