# Copyright (c) mmvg contributors. All rights reserved.
"""SimREC's and MCN's fusion layers against the official facts."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmvg.models.layers import GaranAttention, MultiScaleFusion, SimpleFusion
from mmvg.registry import MODELS
from mmvg.utils import register_all_modules

register_all_modules()


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


# Parameters and state-dict entries of the official classes
# (simrec.layers.fusion_layer at e8136cc), counted by instantiating them
# with the SimREC / MCN config arguments and summing p.numel() over
# parameters() and len(state_dict()).
OFFICIAL = [
    (SimpleFusion, (256, 512, 512), 397_312, 19),
    (SimpleFusion, (512, 512, 512), 528_384, 19),
    (SimpleFusion, (1024, 512, 512), 790_528, 19),
    (SimpleFusion, (1024, 512, 1024), 1_581_056, 19),  # MCN
    (MultiScaleFusion, ((512, 512, 512), ), 4_463_616, 66),
    (MultiScaleFusion, ((256, 512, 1024), ), 4_660_224, 66),  # MCN
    (GaranAttention, (512, 512), 1_318_913, 17),
]


@pytest.mark.parametrize('cls,args,params,entries', OFFICIAL)
def test_official_parameter_counts(cls, args, params, entries):
    module = cls(*args)
    assert _num_params(module) == params
    assert len(module.state_dict()) == entries


def test_official_key_names():
    keys = set(SimpleFusion(8, 4, 6).state_dict())
    assert {
        'v_proj.0.weight', 'v_proj.0.bias', 'v_proj.1.running_var',
        'q_proj.0.weight', 'norm.0.weight'
    } <= keys
    keys = set(MultiScaleFusion((8, 8, 8), 8).state_dict())
    assert {
        'up_modules.0.1.conv.weight', 'up_modules.1.2.batch_norm.bias',
        'down_modules.1.2.conv.weight', 'top_proj.conv.weight',
        'mid_proj.batch_norm.running_mean', 'bot_proj.conv.weight'
    } <= keys
    assert set(GaranAttention(4, 8).state_dict()) == {
        f'{name}.{p}'
        for name in ('w_qs', 'w_kc', 'w_kd', 'w_vs', 'w_m', 'w_o')
        for p in ('weight', 'bias')
    } | {
        f'layer_norm.{p}'
        for p in ('weight', 'bias', 'running_mean', 'running_var',
                  'num_batches_tracked')
    }


def test_simple_fusion_multiplies_the_projections():
    torch.manual_seed(0)
    fusion = SimpleFusion(3, 5, 4).eval()  # fresh BN stats: identity
    x, sent = torch.randn(2, 3, 4, 6), torch.randn(2, 5)
    v = F.leaky_relu(fusion.v_proj[0](x), 0.1)
    q = F.leaky_relu(fusion.q_proj[0](sent[:, :, None, None]), 0.1)
    bn_eps = fusion.norm[0].eps
    expected = F.leaky_relu(v * q / (1 + bn_eps)**0.5, 0.1)
    assert torch.allclose(fusion(x, sent), expected, atol=1e-6)


@pytest.mark.parametrize('v_planes', [(6, 6, 6), (4, 8, 12)])
def test_multi_scale_fusion_shapes(v_planes):
    neck = MODELS.build(
        dict(type='MultiScaleFusion', v_planes=v_planes, hidden_planes=10))
    feats = [
        torch.randn(2, c, 16 // s, 24 // s)
        for c, s in zip(v_planes, (1, 2, 4))
    ]
    outs = neck(feats)
    assert [out.shape for out in outs] == [(2, 10, 16, 24), (2, 10, 8, 12),
                                           (2, 10, 4, 6)]


def test_multi_scale_fusion_resampling():
    neck = MultiScaleFusion((4, 4, 4), 8)
    for up in neck.up_modules:
        assert isinstance(up[0], nn.Upsample)
        assert up[0].mode == 'bilinear' and up[0].align_corners
        assert up[0].scale_factor == 2
    for down in neck.down_modules:
        assert isinstance(down[0], nn.AvgPool2d) and down[0].kernel_size == 2
    same = MultiScaleFusion((4, 4, 4), 8, scaled=False)
    outs = same([torch.randn(2, 4, 5, 5) for _ in range(3)])
    assert all(out.shape == (2, 8, 5, 5) for out in outs)


def _garan_reference(garan, sent, x):
    """Collect-diffuse written per head with loops; the diffused map at
    (row i, column j) is the one computed for position (j, i)."""
    b, c, h, w = x.shape
    heads, d = garan.n_head, c // garan.n_head
    q = garan.w_qs(sent).view(b, heads, d)
    kc, kd, v = (
        conv(x).view(b, heads, d, h * w)
        for conv in (garan.w_kc, garan.w_kd, garan.w_vs))
    diffused = torch.zeros(b, heads, d, h, w)
    for n in range(b):
        for m in range(heads):
            collect = (q[n, m] @ kc[n, m] / d**0.5).softmax(-1)
            gathered = v[n, m] @ collect  # (d, )
            gate = (q[n, m] @ kd[n, m] / d**0.5).sigmoid()  # (h*w, )
            per_pos = (gathered[:, None] * gate).view(d, h, w)
            diffused[n, m] = per_pos.transpose(1, 2)
    attn = garan.w_o(diffused.view(b, c, h, w))
    out = F.leaky_relu(garan.layer_norm(attn) + x, 0.1)
    return out, garan.w_m(attn).view(b, h * w), attn


def test_garan_attention_matches_the_collect_diffuse_reference():
    torch.manual_seed(0)
    garan = GaranAttention(6, 8).eval()
    sent, x = torch.randn(2, 6), torch.randn(2, 8, 5, 5)
    out, map_logits, attn = garan(sent, x)
    ref = _garan_reference(garan, sent, x)
    assert map_logits.shape == (2, 25) and attn.shape == (2, 8, 5, 5)
    for got, expected in zip((out, map_logits, attn), ref):
        assert torch.allclose(got, expected, atol=1e-5)


def test_garan_attention_dropout_only_in_training():
    torch.manual_seed(0)
    garan = GaranAttention(6, 8, attn_drop=0.5)
    sent, x = torch.randn(2, 6), torch.randn(2, 8, 4, 4)
    garan.eval()
    assert torch.equal(garan(sent, x)[2], garan(sent, x)[2])
    garan.train()
    assert not torch.equal(garan(sent, x)[2], garan(sent, x)[2])
