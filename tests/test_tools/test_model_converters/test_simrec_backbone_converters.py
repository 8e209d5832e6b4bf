# Copyright (c) mmvg contributors. All rights reserved.
"""The CSPDarkNet and darknet ``.weights`` converters.

``tests/data/simrec/cspdarknet_coco_keys.json`` lists every tensor (name ->
shape) of the official ``CspDarkNet``, i.e. what its
``load_state_dict(torch.load('cspdarknet_coco.pth'))`` reads; the darknet
files are written by the tests in darknet's format (header, then per
convolution the BatchNorm bias, weight, mean and variance and the
convolution weight, in layer order, then the rest of YOLOv3).
"""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmvg.models.backbones import CSPDarkNetV6, DarkNet53
from mmvg.testing import build_on_meta, import_tool

FIXTURES = osp.join(osp.dirname(__file__), '..', '..', 'data', 'simrec')
TINY = dict(deepen_factor=0.33, widen_factor=0.0625)
# yolov3.weights (80 COCO classes), as published: 20-byte header and
# 62,001,757 float32 values.
YOLOV3_COCO_BYTES = 248_007_048


def official_cspdarknet(device='meta'):
    with open(osp.join(FIXTURES, 'cspdarknet_coco_keys.json')) as f:
        return {
            k: torch.empty(shape, device=device)
            for k, shape in json.load(f).items()
        }


def strip(state_dict):
    assert all(k.startswith('backbone.') for k in state_dict)
    return {k[len('backbone.'):]: v for k, v in state_dict.items()}


def test_cspdarknet_converter_maps_every_official_key():
    converter = import_tool('model_converters/cspdarknet_to_mmvg.py')
    official = official_cspdarknet()
    # A YOLOv5 detector's neck and head, ignored by the official loading.
    official['model.10.conv.weight'] = torch.empty(512, 1024, 1, 1)
    official['model.24.anchors'] = torch.empty(3, 3, 2)
    converted = converter.convert(official)
    assert len(converted) == len(official) - 2
    build_on_meta(dict(type='CSPDarkNetV6')).load_state_dict(
        strip(converted), strict=True)


def test_cspdarknet_converter_refuses_other_files():
    converter = import_tool('model_converters/cspdarknet_to_mmvg.py')
    official = official_cspdarknet()
    with pytest.raises(KeyError, match=r"x.pth.*\['visual_encoder.model"):
        converter.convert(
            {
                'visual_encoder.' + k: v
                for k, v in official.items()
            }, 'x.pth')
    del official['model.9.cv2.bn.running_var']
    with pytest.raises(KeyError, match=r'1 backbone keys.*model\.9\.cv2'):
        converter.convert(official)
    official = official_cspdarknet()
    official['model.0.conv.weight'] = torch.empty(32, 12, 3, 3)
    with pytest.raises(
            ValueError,
            match=r'model\.0\.conv\.weight.*'
            r'\(32, 12, 3, 3\).*\(64, 3, 6, 6\)'):
        converter.convert(official)


def test_cspdarknet_converter_cli_and_pretrained_init(tmp_path, monkeypatch):
    torch.manual_seed(0)
    # A flat half-precision state dict without BatchNorm counters, as a
    # YOLOv5 export may be.
    official = {
        k: v.half() if v.is_floating_point() else v
        for k, v in CSPDarkNetV6().state_dict().items()
        if not k.endswith('num_batches_tracked')
    }
    for k, v in official.items():
        v.normal_()
    src, dst = tmp_path / 'cspdarknet_coco.pth', tmp_path / 'mmvg.pth'
    torch.save(official, src)
    monkeypatch.setattr(sys, 'argv',
                        ['cspdarknet_to_mmvg.py',
                         str(src), str(dst)])
    import_tool('model_converters/cspdarknet_to_mmvg.py').main()
    backbone = CSPDarkNetV6(
        init_cfg=dict(
            type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    backbone.init_weights()
    loaded = backbone.state_dict()
    for key, value in official.items():
        assert loaded[key].dtype == torch.float32
        assert torch.equal(loaded[key], value.float()), key
    assert loaded['model.3.bn.num_batches_tracked'] == 0
    # The saved keys load strictly too.
    CSPDarkNetV6().load_state_dict(
        strip(torch.load(dst)['state_dict']), strict=True)


def write_darknet(path, state_dict, tail_floats, version=(0, 2, 0)):
    """Write ``state_dict`` (a DarkNet53's) in darknet's order, then
    ``tail_floats`` values for the rest of YOLOv3."""
    header = np.array(version, dtype='<i4').tobytes()
    seen_dtype = '<i8' if 10 * version[0] + version[1] >= 2 else '<i4'
    header += np.array([12345], dtype=seen_dtype).tobytes()
    values = []
    for key in state_dict:
        if key.endswith('.conv.weight'):
            bn = key[:-len('conv.weight')] + 'batch_norm.'
            values += [
                state_dict[bn + name]
                for name in ('bias', 'weight', 'running_mean', 'running_var')
            ]
            values.append(state_dict[key])
    body = torch.cat([v.flatten() for v in values] +
                     [torch.randn(tail_floats)]).numpy().astype('<f4')
    path.write_bytes(header + body.tobytes())


def tiny_tail_floats(converter):
    # Stride 8/16/32 channels of the tiny DarkNet53.
    return converter.yolov3_tail_floats(16, 32, 64, num_classes=80)


@pytest.mark.parametrize('version', [(0, 2, 0), (0, 1, 0)])
def test_darknet_converter_round_trip(tmp_path, version):
    converter = import_tool('model_converters/darknet_weights_to_mmvg.py')
    torch.manual_seed(0)
    written = {
        k: torch.randn(v.shape) if v.is_floating_point() else v
        for k, v in DarkNet53(**TINY).state_dict().items()
    }
    path = tmp_path / 'darknet_coco.weights'
    write_darknet(path, written, tiny_tail_floats(converter), version)
    converted = converter.convert(str(path), backbone_cfg=TINY)
    DarkNet53(**TINY).load_state_dict(strip(converted), strict=True)
    for key, value in strip(converted).items():
        if key.endswith('num_batches_tracked'):
            assert value == 0
        else:
            assert torch.equal(value, written[key]), key
    # Through the backbone's Pretrained init_cfg.
    torch.save(dict(state_dict=converted), tmp_path / 'mmvg.pth')
    backbone = DarkNet53(
        init_cfg=dict(
            type='Pretrained',
            checkpoint=str(tmp_path / 'mmvg.pth'),
            prefix='backbone.'),
        **TINY)
    backbone.init_weights()
    assert torch.equal(backbone.module_list[13].conv.weight,
                       written['module_list.13.conv.weight'])


@pytest.mark.parametrize('extra_bytes', [-4, 4])
def test_darknet_converter_refuses_a_wrong_size(tmp_path, extra_bytes):
    converter = import_tool('model_converters/darknet_weights_to_mmvg.py')
    path = tmp_path / 'darknet_coco.weights'
    write_darknet(path,
                  DarkNet53(**TINY).state_dict(), tiny_tail_floats(converter))
    expected = path.stat().st_size
    data = path.read_bytes()
    path.write_bytes(data[:extra_bytes] if extra_bytes < 0 else data +
                     b'\0' * extra_bytes)
    found = expected + extra_bytes
    with pytest.raises(
            ValueError,
            match=f'darknet_coco.weights: expected {expected} bytes.*found '
            f'{found} bytes'):
        converter.convert(str(path), backbone_cfg=TINY)


def test_darknet_converter_expects_the_yolov3_coco_size(tmp_path):
    converter = import_tool('model_converters/darknet_weights_to_mmvg.py')
    path = tmp_path / 'yolov3.weights'
    path.write_bytes(np.array([0, 2, 0, 0, 0], dtype='<i4').tobytes())
    with pytest.raises(
            ValueError,
            match=f'expected {YOLOV3_COCO_BYTES} bytes .*80 classes.*found '
            '20 bytes'):
        converter.convert(str(path))
    with pytest.raises(ValueError, match='too short'):
        path.write_bytes(b'\0' * 8)
        converter.convert(str(path))
