# Copyright (c) mmvg contributors. All rights reserved.
"""mmvg's BEiT-3 encoder against torchscale's facts.

``tests/data/beit3/beit3_base_patch16_224_keys.json`` lists every tensor
(name -> shape, in order) of torchscale's ``BEiT3`` (microsoft/torchscale
HEAD) built with BEiT-3's base release config (patch 16, image 224,
vocabulary 64010, ``no_output_layer=True``), prefixed ``beit3.`` as in the
release files: 491 keys. The parameter counts below were counted on
torchscale's model built with ALVG's config at 640/32.
"""
import json
import os.path as osp
import sys

import pytest
import torch
import torch.nn.functional as F

from mmvg.models.backbones import BEiT3
from mmvg.models.backbones.beit3 import (convert_beit3_release,
                                         resize_vision_embeddings)
from mmvg.testing import build_on_meta, import_tool
from mmvg.utils import register_all_modules

register_all_modules()
FIXTURE = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'beit3',
    'beit3_base_patch16_224_keys.json')
TORCHSCALE_PARAMS = {'base': 222_913_536, 'large': 675_270_656}
TINY = dict(
    embed_dims=64,
    num_layers=2,
    num_heads=4,
    ffn_dims=128,
    img_size=64,
    patch_size=16,
    vocab_size=100,
    max_text_positions=32)
# Heads of the retrieval release files, next to ``beit3.``.
RETRIEVAL_HEADS = ('language_head.weight', 'vision_head.weight', 'logit_scale')


def release_layout():
    with open(FIXTURE) as f:
        return json.load(f)


def tiny(**kwargs):
    torch.manual_seed(0)
    model = BEiT3(**dict(TINY, **kwargs))
    model.init_weights()
    return model.eval()


def as_release(model):
    """A model's weights in a release file's layout, with retrieval heads."""
    state_dict = {f'beit3.{k}': v for k, v in model.state_dict().items()}
    dims = model.embed_dims
    state_dict.update({
        'language_head.weight': torch.randn(dims, dims),
        'vision_head.weight': torch.randn(dims, dims),
        'logit_scale': torch.tensor(2.6)
    })
    return dict(model=state_dict)


def inputs(batch=2, length=7, img_size=64):
    torch.manual_seed(1)
    images = torch.randn(batch, 3, img_size, img_size)
    ids = torch.randint(0, 100, (batch, length))
    padding = torch.zeros(batch, length, dtype=torch.bool)
    padding[0, 4:] = True
    return images, ids, padding


def test_output_shapes():
    model = tiny()
    images, ids, padding = inputs()
    with torch.no_grad():
        out = model(images, ids, padding)
        unpadded = model(images, ids)
    assert out['cls_feat'].shape == (2, 64)
    assert out['img_feats'].shape == (2, 64, 4, 4)
    assert out['text_feats'].shape == (2, 7, 64)
    # the second sentence has no padding, so it reads the same
    torch.testing.assert_close(unpadded['text_feats'][1], out['text_feats'][1])
    with pytest.raises(ValueError, match='64x64 images.*got 32x32'):
        model(images[:, :, :32, :32], ids, padding)


def test_drop_path_rises_linearly():
    model = BEiT3(**dict(TINY, num_layers=3, drop_path_rate=0.2))
    layers = model.encoder.layers
    assert isinstance(layers[0].drop_path, torch.nn.Identity)
    assert [layer.drop_path.drop_prob for layer in layers[1:]] == [0.1, 0.2]


def test_padding_does_not_leak():
    """Changing the ids under the padding changes nothing else."""
    model = tiny()
    images, ids, padding = inputs()
    other = ids.clone()
    other[padding] = (other[padding] + 13) % 100
    with torch.no_grad():
        out = model(images, ids, padding)
        out_other = model(images, other, padding)
    torch.testing.assert_close(out['cls_feat'], out_other['cls_feat'])
    torch.testing.assert_close(out['img_feats'], out_other['img_feats'])
    torch.testing.assert_close(out['text_feats'][~padding],
                               out_other['text_feats'][~padding])


def test_keys_are_torchscale_keys():
    layout = release_layout()
    assert len(layout) == 491
    official = {k[len('beit3.'):]: v for k, v in layout.items()}
    base = build_on_meta(dict(type='BEiT3', img_size=224, patch_size=16))
    own = base.state_dict()
    assert list(own) == list(official)
    assert all(list(own[k].shape) == official[k] for k in own)
    # the tiny model has the same names, for its two layers
    kept = [
        k for k in official if not k.startswith('encoder.layers.')
        or int(k.split('.')[2]) < TINY['num_layers']
    ]
    assert list(tiny().state_dict()) == kept


@pytest.mark.parametrize('arch', ['base', 'large'])
def test_parameters_equal_torchscale(arch):
    model = build_on_meta(dict(type='BEiT3', arch=arch))
    assert sum(p.numel() for p in model.parameters()) == \
        TORCHSCALE_PARAMS[arch]
    positions = model.encoder.embed_positions
    assert positions.A.num_embeddings == 403
    assert positions.B.num_embeddings == 1024


def test_every_release_key_loads_strictly():
    """The release layout (meta tensors) converts to the 640/32 encoder."""
    release = {
        k: torch.empty(v, device='meta')
        for k, v in release_layout().items()
    }
    # retrieval heads, and torchscale's MLM output layer (built when
    # no_output_layer is False), are not the encoder's
    extra = RETRIEVAL_HEADS + ('beit3.encoder.output_projection.weight', )
    release.update({k: torch.empty(1, device='meta') for k in extra})
    converted, dropped = convert_beit3_release(release, 640, 32)
    assert sorted(dropped) == sorted(extra)
    assert converted['vision_embed.proj.weight'].shape == (768, 3, 32, 32)
    assert converted['encoder.embed_positions.A.weight'].shape == (403, 768)
    model = build_on_meta(dict(type='BEiT3'))
    model.load_state_dict(converted, strict=True)


def test_resize_keeps_values():
    """Bicubic resizing, the first three position rows kept, the kernel
    not rescaled (a constant kernel stays that constant)."""
    generator = torch.Generator().manual_seed(0)
    kernel = torch.randn(8, 3, 16, 16, generator=generator)
    table = torch.randn(3 + 14 * 14, 8, generator=generator)
    resized = resize_vision_embeddings(
        {
            'vision_embed.proj.weight': kernel,
            'encoder.embed_positions.A.weight': table
        },
        img_size=640,
        patch_size=32)
    new_kernel = resized['vision_embed.proj.weight']
    new_table = resized['encoder.embed_positions.A.weight']
    torch.testing.assert_close(
        new_kernel,
        F.interpolate(
            kernel, size=(32, 32), mode='bicubic', align_corners=False))
    assert new_table.shape == (3 + 20 * 20, 8)
    torch.testing.assert_close(new_table[:3], table[:3])
    # rows in raster order: row r*14+c of the old grid is pixel (r, c)
    grid = table[3:].T.reshape(1, 8, 14, 14)
    expected = F.interpolate(
        grid, size=(20, 20), mode='bicubic', align_corners=False)
    torch.testing.assert_close(new_table[3:], expected.reshape(8, 400).T)
    constant = resize_vision_embeddings(
        {'vision_embed.proj.weight': torch.full((2, 3, 16, 16), 0.5)}, 640, 32)
    torch.testing.assert_close(constant['vision_embed.proj.weight'],
                               torch.full((2, 3, 32, 32), 0.5))
    untouched = resize_vision_embeddings(
        {'encoder.embed_positions.A.weight': table}, 224, 16)
    assert untouched['encoder.embed_positions.A.weight'] is table


def test_init_cfg_loads_a_release_file(tmp_path):
    """A release file at patch 8 / image 48 loads into the 64/16 model:
    resized embeddings, every other tensor as it was, heads left out."""
    source = tiny(img_size=48, patch_size=8)
    path = tmp_path / 'beit3_tiny_patch8_48.pth'
    torch.save(as_release(source), path)
    model = BEiT3(**TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    expected, _ = convert_beit3_release(
        as_release(source)['model'], img_size=64, patch_size=16)
    loaded = model.state_dict()
    assert list(loaded) == list(expected)
    for key, value in expected.items():
        torch.testing.assert_close(loaded[key], value)
    torch.testing.assert_close(
        loaded['encoder.layers.1.ffn.B.fc2.weight'],
        source.state_dict()['encoder.layers.1.ffn.B.fc2.weight'])
    assert loaded['encoder.embed_positions.A.weight'].shape == (19, 64)


def test_another_width_or_depth_is_refused(tmp_path):
    path = tmp_path / 'wide.pth'
    torch.save(as_release(tiny(embed_dims=96)), path)
    model = BEiT3(**TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(ValueError, match='has width 96, this BEiT3 has 64'):
        model.init_weights()
    base = build_on_meta(dict(type='BEiT3'))
    large = {'text_embed.weight': torch.empty(10, 1024, device='meta')}
    message = r'width 1024 \(large\), this BEiT3 has 768 \(base\)'
    with pytest.raises(ValueError, match=message):
        base._check_size(large, 'beit3_large.pth')
    torch.save(as_release(tiny(num_layers=3)), path)
    with pytest.raises(ValueError, match='has 3 layers, this BEiT3 has 2'):
        model.init_weights()


def test_bad_checkpoints_fail_clearly(tmp_path):
    model = BEiT3(
        **TINY,
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'no.pth')))
    with pytest.raises(FileNotFoundError, match='no.pth'):
        model.init_weights()
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'neck.weight': torch.zeros(1)}), path)
    model = BEiT3(**TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(KeyError, match='neither "beit3."'):
        model.init_weights()
    with pytest.raises(KeyError, match='no "beit3." keys'):
        convert_beit3_release({'head.weight': torch.zeros(1)})


def test_initialisation_follows_beit3_wrapper():
    model = tiny()
    fc1 = model.encoder.layers[0].ffn.B.fc1
    assert fc1.weight.abs().max() <= 0.02 and not fc1.bias.any()
    norm = model.encoder.layers[1].self_attn.inner_attn_ln.A
    assert (norm.weight == 1).all() and not norm.bias.any()
    assert not model.vision_embed.cls_token.any()
    std = model.text_embed.weight.std().item()
    assert abs(std - 64**-0.5) < 0.02


def test_converter_command_line(tmp_path, monkeypatch):
    converter = import_tool('model_converters/beit3_to_mmvg.py')
    source = tiny(img_size=48, patch_size=8)
    src, dst = tmp_path / 'release.pth', tmp_path / 'mmvg.pth'
    torch.save(as_release(source), src)
    monkeypatch.setattr(sys, 'argv', [
        'beit3_to_mmvg.py',
        str(src),
        str(dst), '--img-size', '64', '--patch-size', '16', '--prefix',
        'backbone.'
    ])
    converter.main()
    state_dict = torch.load(dst, weights_only=True)['state_dict']
    assert all(k.startswith('backbone.') for k in state_dict)
    # the converted file loads through init_cfg as it is
    model = BEiT3(**TINY, init_cfg=dict(type='Pretrained', checkpoint=dst))
    model.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state_dict[f'backbone.{key}'])
    monkeypatch.setattr(
        sys, 'argv',
        ['beit3_to_mmvg.py',
         str(tmp_path / 'missing.pth'),
         str(dst)])
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        converter.main()
    monkeypatch.setattr(sys, 'argv', ['beit3_to_mmvg.py', '--help'])
    with pytest.raises(SystemExit) as exit_info:
        converter.main()
    assert exit_info.value.code == 0
