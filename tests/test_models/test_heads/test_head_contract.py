# Copyright (c) mmvg contributors. All rights reserved.
"""The one contract every head in ``mmvg.models.heads`` passes."""
import inspect

import pytest
import torch

import mmvg.models.heads as heads
from mmvg.models.data_preprocessors import VGDataPreprocessor
from mmvg.models.heads import BaseVGHead
from mmvg.models.utils import boxes_to_original
from mmvg.registry import MODELS
from mmvg.testing import (demo_vg_inputs, tiny_alvg_head_cfg,
                          tiny_simvg_head_cfg)
from mmvg.utils import register_all_modules

register_all_modules()
C = 8


def _vltvg_feats(n, pad_hw):
    return dict(queries=torch.randn(3, n, 1, C))


def _lavt_feats(n, pad_hw):
    h, w = pad_hw
    return dict(
        visual_feats=[
            torch.randn(n, c, h // s, w // s)
            for c, s in ((4, 4), (8, 8), (16, 16), (16, 32))
        ],
        batch_input_shape=pad_hw)


def _map_feats(n, pad_hw):
    hw = (pad_hw[0] // 16, pad_hw[1] // 16)
    return dict(
        img_feats=torch.randn(n, hw[0] * hw[1], C),
        verify_scores=torch.rand(n, hw[0] * hw[1], 1),
        hw_shape=hw)


def _mcn_feats(n, pad_hw):
    h, w = pad_hw
    top = (n, C, h // 32, w // 32)
    bottom = (n, C, h // 8, w // 8)
    return dict(
        top=torch.randn(top),
        bottom=torch.randn(bottom),
        det_attn=torch.randn(top),
        seg_attn=torch.randn(bottom))


def _top_feats(n, pad_hw):
    return dict(top=torch.randn(n, C, pad_hw[0] // 32, pad_hw[1] // 32))


def _region_feats(n, pad_hw):
    h, w = pad_hw
    boxes = torch.rand(n, 4, 4) * torch.tensor([w, h, w, h]) / 2
    boxes[..., 2:] += boxes[..., :2] + 1
    mask = torch.tensor([[True] * 4, [True] * 3 + [False]])[:n]
    return dict(
        region_feats=torch.randn(n, 4, C),
        roi_feats=torch.randn(n, 4, C),
        region_boxes=boxes,
        region_mask=mask)


def _alvg_feats(n, pad_hw):
    hw = (pad_hw[0] // 32, pad_hw[1] // 32)
    return dict(
        img_feats=torch.randn(n, C, *hw),
        img_mask=torch.zeros(n, *hw, dtype=torch.bool),
        text_feats=torch.randn(n, 6, C),
        text_mask=torch.tensor([[False] * 6, [False] * 4 + [True] * 2])[:n])


def _simvg_feats(n, pad_hw):
    return dict(_alvg_feats(n, pad_hw), cls_feat=torch.randn(n, C))


# head config, its features, the loss keys it returns
CASES = {
    'ALVGHead': (tiny_alvg_head_cfg(C, embed_dims=16), _alvg_feats, {
        'loss_cls', 'loss_bbox', 'loss_iou', 'd0.loss_cls', 'd0.loss_bbox',
        'd0.loss_iou', 'd1.loss_cls', 'd1.loss_bbox', 'd1.loss_iou',
        'loss_mask', 'loss_dice', 'loss_score_attn', 'loss_decoder_attn'
    }),
    'SimVGHead': (tiny_simvg_head_cfg(C, embed_dims=16), _simvg_feats, {
        'loss_cls', 'loss_bbox', 'loss_iou', 'd0.loss_cls', 'd0.loss_bbox',
        'd0.loss_iou', 'd1.loss_cls', 'd1.loss_bbox', 'd1.loss_iou',
        'token.loss_cls', 'token.loss_bbox', 'token.loss_iou',
        'distill.loss_cls', 'distill.loss_bbox', 'distill.loss_iou',
        'distill_weight'
    }),
    'VLTVGHead': (dict(type='VLTVGHead', embed_dims=C), _vltvg_feats, {
        'loss_bbox', 'loss_iou', 'd0.loss_bbox', 'd0.loss_iou', 'd1.loss_bbox',
        'd1.loss_iou'
    }),
    'LAVTMaskHead':
    (dict(type='LAVTMaskHead',
          in_channels=(4, 8, 16, 16)), _lavt_feats, {'loss_ce'}),
    'CellCategoryHead':
    (dict(type='CellCategoryHead', in_channels=C,
          num_classes=3), _map_feats, {'loss_cls'}),
    'BoxMapHead': (dict(type='BoxMapHead'), _map_feats, {'loss_map'}),
    'SimRECHead': (dict(type='SimRECHead', in_channels=C, feat_channels=C),
                   _top_feats, {'loss_bbox', 'loss_obj'}),
    'MCNHead': (dict(type='MCNHead', in_channels=C,
                     hidden_channels=C), _mcn_feats,
                {'loss_xy', 'loss_wh', 'loss_obj', 'loss_seg', 'loss_cem'}),
    'RegionRankHead': (dict(type='RegionRankHead',
                            in_channels=C), _region_feats, {'loss_cls'}),
    'RegionCategoryHead':
    (dict(type='RegionCategoryHead', in_channels=C,
          num_classes=3), _region_feats, {'loss_cls'}),
}


def _batch(flip=False):
    batch = demo_vg_inputs(
        image_shapes=((64, 48), (56, 64)),
        with_mask=True,
        flip=flip,
        scale_factor=(0.5, 0.25))
    return VGDataPreprocessor(pad_size_divisor=32)(batch)['data_samples']


def _setup(name, flip=False):
    cfg, make_feats, loss_keys = CASES[name]
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    if name == 'ALVGHead':
        head.eval()  # its dropout would make two predictions differ
    samples = _batch(flip)
    feats = make_feats(len(samples), samples[0].batch_input_shape)
    return head, feats, samples, loss_keys


def test_every_head_is_covered():
    exported = {
        name
        for name, obj in inspect.getmembers(heads, inspect.isclass)
        if issubclass(obj, BaseVGHead) and obj is not BaseVGHead
    }
    assert exported == set(CASES)


@pytest.mark.parametrize('name', list(CASES))
def test_tensor_mode_and_loss(name):
    head, feats, samples, loss_keys = _setup(name)
    outs = head(feats)
    assert isinstance(outs, tuple)
    assert all(isinstance(out, torch.Tensor) for out in outs)
    losses = head.loss(feats, samples)
    assert set(losses) == loss_keys
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())


@pytest.mark.parametrize('name', [n for n in CASES if MODELS.get(n).predicts])
@pytest.mark.parametrize('flip', [False, True])
def test_predict_original_and_input_frames(name, flip):
    head, feats, samples, _ = _setup(name, flip)
    with torch.no_grad():
        ori = head.predict(feats, samples, rescale=True)
        inp = head.predict(feats, samples, rescale=False)
    for sample, res_ori, res_inp in zip(samples, ori, inp):
        ori_h, ori_w = sample.ori_shape
        img_h, img_w = sample.img_shape
        assert res_ori.scores.shape == (len(res_ori), )
        assert torch.equal(res_ori.scores, res_inp.scores)
        boxes = res_ori.bboxes
        assert (boxes >= 0).all() and (boxes[:, 2:] >= boxes[:, :2]).all()
        assert (boxes[:, 0::2] <= ori_w).all()
        assert (boxes[:, 1::2] <= ori_h).all()
        if 'masks' in res_ori:
            assert res_ori.masks.shape[-2:] == (ori_h, ori_w)
            assert res_inp.masks.shape[-2:] == (img_h, img_w)
            assert torch.equal(res_ori.input_masks, res_inp.input_masks)
        else:
            # one geometry: the original frame is the input frame mapped back
            assert torch.allclose(
                boxes_to_original(res_inp.bboxes, sample.metainfo), boxes)


@pytest.mark.parametrize('name', list(CASES))
def test_missing_targets_name_the_record_and_field(name):
    head, feats, samples, _ = _setup(name)
    del samples[1].gt_instances
    with pytest.raises(ValueError) as error:
        head.loss(feats, samples)
    assert "img_path='demo_1.jpg'" in str(error.value)
    assert 'gt_instances.' in str(error.value)


@pytest.mark.parametrize('name', list(CASES))
def test_no_target_sample_is_named_or_learnt(name):
    head, feats, samples, loss_keys = _setup(name)
    gt = samples[0].gt_instances
    samples[0].gt_instances = gt[torch.zeros(len(gt), dtype=torch.bool)]
    if not head.learns_no_target:
        with pytest.raises(ValueError, match="demo_0.jpg.*no-target"):
            head.loss(feats, samples)
        return
    losses = head.loss(feats, samples)
    assert set(losses) == loss_keys
    assert all(torch.isfinite(v) for v in losses.values())
