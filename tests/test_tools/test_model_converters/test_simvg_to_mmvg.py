# Copyright (c) mmvg contributors. All rights reserved.
"""The ALVG converter.

``tests/data/alvg/alvg_beit3-{base,large}_keys.json`` list every tensor
(name -> shape) of the official ALVG model (``MIXDETRMB``: torchscale's
BEiT3 with ALVG's config at 640x640, patch 32, under ``vis_enc.beit3.``,
and ``TextGuidedQuerySelectKDDETRHead`` with 1 query under ``head.``):
637 and 1,117 keys. The full-size mmvg models are built on the meta
device.
"""
import json
import os.path as osp

import pytest
import torch

from mmvg.testing import build_on_meta, import_tool, run_tool
from mmvg.utils import register_all_modules

register_all_modules()
DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'alvg')
TOOL = 'model_converters/alvg_to_mmvg.py'
WIDTHS = dict(base=768, large=1024)


def official_keys(arch: str) -> dict:
    with open(osp.join(DATA, f'alvg_beit3-{arch}_keys.json')) as f:
        return json.load(f)


def alvg_cfg(arch: str) -> dict:
    return dict(
        type='ALVG',
        backbone=dict(type='BEiT3', arch=arch),
        head=dict(type='ALVGHead', in_channels=WIDTHS[arch]))


@pytest.mark.parametrize('arch', ['base', 'large'])
def test_every_official_key_maps_strictly(arch):
    keys = official_keys(arch)
    assert len(keys) == dict(base=637, large=1117)[arch]
    # Trained under DDP: every key carries ``module.``.
    official = {
        'module.' + k: torch.empty(shape, device='meta')
        for k, shape in keys.items()
    }
    converted, dropped = import_tool(TOOL).convert_alvg(official)
    assert dropped == ['head.criterion.empty_weight']
    model = build_on_meta(alvg_cfg(arch))
    expected = model.state_dict()
    assert set(converted) == set(expected)
    for key, value in converted.items():
        assert value.shape == expected[key].shape, key
    model.load_state_dict(converted, strict=True, assign=True)


def test_command_line_and_bad_input(tmp_path):
    keys = official_keys('base')
    state = {k: torch.zeros(1) for k in keys}
    state['head.criterion.empty_weight'] = torch.tensor([1.0, 0.1])
    src, dst = tmp_path / 'alvg.pth', tmp_path / 'mmvg.pth'
    torch.save(dict(state_dict=state, epoch=30), src)
    out = run_tool([TOOL, str(src), str(dst)]).stdout
    assert 'Saved 636 tensors' in out and '[1.0, 0.1' in out
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert 'backbone.encoder.layers.11.ffn.A.fc2.weight' in converted
    assert 'head.query_generator.decoder.layers.1.cross_attn.attn.in_proj_weight' in converted  # noqa: E501
    # No EMA weights in this file: the error names the file.
    with pytest.raises(KeyError, match='ema_state_dict'):
        import_tool(TOOL).main([str(src), str(dst), '--ema'])
    # Another model's checkpoint is refused, naming the file.
    other = tmp_path / 'vlbert.pth'
    torch.save(
        dict(state_dict={'vlbert.encoder.weight': torch.zeros(1)}), other)
    with pytest.raises(ValueError, match='vlbert.pth is not an ALVG'):
        import_tool(TOOL).main([str(other), str(dst)])
