# Copyright (c) mmvg contributors. All rights reserved.
import math

import pytest
import torch
from mmengine.structures import InstanceData

from mmvg.models.data_preprocessors import VGDataPreprocessor
from mmvg.models.heads import MCNHead
from mmvg.testing import demo_vg_inputs

S = 416  # MCN's input: a 13x13 map at stride 32, anchors in its pixels


def _head(**kwargs):
    torch.manual_seed(0)
    return MCNHead(in_channels=8, hidden_channels=8, **kwargs)


def _feats(batch, pad_hw, channels=8):
    h, w = pad_hw
    return dict(
        top=torch.randn(batch, channels, h // 32, w // 32),
        bottom=torch.randn(batch, channels, h // 8, w // 8),
        det_attn=torch.randn(batch, channels, h // 32, w // 32),
        seg_attn=torch.randn(batch, channels, h // 8, w // 8))


def _samples(flip=False):
    batch = demo_vg_inputs(
        image_shapes=((64, 48), (56, 64)),
        with_mask=True,
        flip=flip,
        scale_factor=(0.5, 0.25))
    return VGDataPreprocessor(pad_size_divisor=32)(batch)['data_samples']


def test_official_parameter_count_and_names():
    head = MCNHead()
    # Counted on the official MCNhead() at e8136cc (random init).
    assert sum(p.numel() for p in head.parameters()) == 3_821_842
    shapes = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    assert shapes['dconv.weight'] == (15, 512, 1, 1)
    assert shapes['s_proj.weight'] == shapes['d_proj.weight'] == (1, 512, 3, 3)
    assert shapes['sconv.0.conv1.conv.weight'] == (256, 512, 3, 3)
    assert shapes['sconv.0.conv4.batch_norm.running_var'] == (256, )
    assert shapes['sconv.0.out_proj.weight'] == (1, 1280, 1, 1)
    assert len(shapes) == 38


def test_loss_keys_finite_and_backward():
    head = _head()
    samples = _samples()
    feats = _feats(2, samples[0].batch_input_shape)
    feats['det_attn'].requires_grad_()
    losses = head.loss(feats, samples)
    assert set(losses) == {
        'loss_xy', 'loss_wh', 'loss_obj', 'loss_seg', 'loss_cem'
    }
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    for name in ('dconv.weight', 'sconv.0.conv1.conv.weight',
                 'sconv.0.out_proj.weight', 's_proj.weight', 'd_proj.weight'):
        grad = head.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name
    assert feats['det_attn'].grad.abs().sum() > 0


def test_anchor_assignment_by_hand():
    # Zero box outputs: every box sits at its cell centre with its anchor's
    # size. Sample 0: cx 200, cy 100, w 130, h 250 pixels = (6.25, 3.125,
    # 4.0625, 7.8125) cells. Anchor shape IoUs (at the origin): anchor 0
    # (4.28125, 8) 31.738 / 34.25 = 0.927, anchor 1 (7.75, 8.5) 0.482,
    # anchor 2 less: anchor 0 at row 3, col 6, offsets (0.25, 0.125), sizes
    # log(130 / 137), log(250 / 256), weight 2 - 130 * 250 / 416**2.
    # Sample 1: the whole image; w and h are clipped to 0.99 (12.87 cells):
    # anchor 2 (12.0625, 8.46875) IoU 0.617 beats anchor 1 (0.398); centre
    # (6.5, 6.5) -> row 6, col 6. The official head gives the same
    # (checked outside the repo on these two boxes).
    head = _head()
    box_outs = torch.zeros(2, 3, 13, 13, 5)
    gt = torch.tensor([[200, 100, 130, 250], [208, 208, 416, 416]]) / S
    targets = head.get_box_targets(
        head.decode_boxes(box_outs), gt.clamp(0, 0.99))
    assert [t.tolist() for t in targets['index']] == [[0, 1], [0, 2], [3, 6],
                                                      [6, 6]]
    assert torch.allclose(targets['xy'],
                          torch.tensor([[0.25, 0.125], [0.5, 0.5]]))
    assert torch.allclose(
        targets['wh'],
        torch.tensor([[math.log(130 / 137),
                       math.log(250 / 256)],
                      [math.log(12.87 / 12.0625),
                       math.log(12.87 / 8.46875)]]))
    assert torch.allclose(targets['weight'],
                          torch.tensor([2 - 130 * 250 / S**2, 2 - 0.99**2]))
    assert targets['objectness'].sum() == 2
    assert targets['objectness'][0, 0, 3, 6] == 1
    assert targets['objectness'][1, 2, 6, 6] == 1


def test_objectness_ignore_rule():
    # Sample 0 of the case above. Anchor 0's box at row 4, col 6 (centre
    # (6.5, 4.5)) overlaps the gt box 3.922 x 6.531 = 25.6: IoU 0.63 > 0.5,
    # ignored; at row 3, col 9 it overlaps 0.922 x 7.531: IoU 0.10, trained;
    # the positive (row 3, col 6) is trained though its IoU is high.
    head = _head()
    box_outs = torch.zeros(1, 3, 13, 13, 5)
    gt = torch.tensor([[200, 100, 130, 250]]) / S
    weight = head.get_box_targets(head.decode_boxes(box_outs),
                                  gt)['obj_weight']
    ignored = (weight[0] == 0).nonzero().tolist()
    # The same seven boxes as the official head's.
    assert ignored == [[0, 1, 6], [0, 2, 5], [0, 2, 6], [0, 3, 5], [0, 3, 7],
                       [0, 4, 5], [0, 4, 6]]
    assert weight[0, 0, 3, 9] == 1 and weight[0, 0, 3, 6] == 1


def test_box_losses_at_the_positive():
    head = _head()
    gts, metas = [], []
    # The two boxes of the assignment case, as xyxy input pixels.
    for box in ([135., -25., 265., 225.], [0., 0., 416., 416.]):
        gt = InstanceData(bboxes=torch.tensor([box]))
        gt.masks = torch.zeros(1, S, S, dtype=torch.bool)
        gts.append(gt)
        metas.append(dict(batch_input_shape=(S, S), img_path='a.jpg'))
    losses = head.loss_by_feat(
        torch.zeros(2, 3, 13, 13, 5),
        torch.zeros(2, 1, S, S),
        batch_gt_instances=gts,
        batch_img_metas=metas)
    # Each positive predicts sigmoid(0) = 0.5, whose BCE is log 2 for any
    # target, and log(1) = 0; every loss is a sum over the batch / 2.
    weights = (2 - 130 * 250 / S**2, 2 - 0.99**2)
    assert losses['loss_xy'].item() == pytest.approx(
        sum(weights) * 2 * math.log(2) / 2, rel=1e-5)
    wh = (math.log(130 / 137)**2 + math.log(250 / 256)**2,
          math.log(12.87 / 12.0625)**2 + math.log(12.87 / 8.46875)**2)
    assert losses['loss_wh'].item() == pytest.approx(
        (weights[0] * wh[0] + weights[1] * wh[1]) / 2 / 2, rel=1e-5)
    # Objectness: BCE(0.5, .) = log 2 at every box not ignored (sample 0
    # ignores 7, see above).
    ignored = 7 + int((head.get_box_targets(
        head.decode_boxes(torch.zeros(1, 3, 13, 13, 5)),
        torch.tensor([[0.5, 0.5, 0.99, 0.99]]))['obj_weight'] == 0).sum())
    assert losses['loss_obj'].item() == pytest.approx(
        (2 * 3 * 13 * 13 - ignored) * math.log(2) / 2, rel=1e-5)


def test_mask_loss_official_normalisation():
    head = _head()
    feats = _feats(2, (64, 64))
    _, logits = head(feats)
    gts, metas = [], []
    for i in range(2):
        gt = InstanceData(bboxes=torch.tensor([[4., 4., 20., 30.]]))
        gt.masks = torch.zeros(1, 48, 64, dtype=torch.bool)  # unpadded
        gt.masks[0, :10] = True
        gts.append(gt)
        metas.append(dict(batch_input_shape=(64, 64), img_path=f'{i}.jpg'))
    loss = head.loss_by_feat(
        *head(feats), batch_gt_instances=gts, batch_img_metas=metas)
    target = torch.zeros_like(logits)
    target[:, :, :10] = 1
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, target, reduction='sum') / 640 / 2
    assert torch.isclose(loss['loss_seg'], expected)


def test_consistency_energy_by_hand():
    head = MCNHead(in_channels=2, hidden_channels=4)
    for proj in (head.s_proj, head.d_proj):
        torch.nn.init.zeros_(proj.weight)
    # Sample 0: one detection position (1, 0); segmentation positions
    # (1, 0) and (0, 1): (1 + cos) / 2 = 1 and 0.5. d_proj's centre tap
    # gives them logits log 3 and 0: weights 3/4, 1/4. Energy 0.875.
    # Sample 1: segmentation positions both (2, 0): energy 1.
    head.d_proj.weight.data[0, 0, 1, 1] = math.log(3)
    det_attn = torch.tensor([1., 0.]).view(1, 2, 1, 1).repeat(2, 1, 1, 1)
    seg_attn = torch.tensor([[[[1., 0.]], [[0., 1.]]], [[[2., 2.]], [[0.,
                                                                      0.]]]])
    loss = head.loss_cem(det_attn, seg_attn)
    # Summed over the batch, as the official head does.
    expected = -math.log(0.875 + 1e-6) - math.log(1 + 1e-6)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def _one_box_outputs():
    # Objectness 1 at anchor 1, row 2, col 3; everything else 0.
    box_outs = torch.zeros(1, 3, 13, 13, 5)
    box_outs[0, 1, 2, 3, 4] = 1.
    return box_outs


def test_predict_argmax_box_and_mask_in_both_frames():
    head = _head()
    logits = torch.full((1, 1, S, S), -0.7)  # sigmoid 0.332 < 0.35
    logits[..., :, :100] = -0.5  # sigmoid 0.378 > 0.35
    meta = dict(
        img_shape=(400, 416),
        ori_shape=(200, 208),
        scale_factor=(2., 2.),
        batch_input_shape=(S, S),
        img_path='a.jpg')
    inp, = head.predict_by_feat(
        _one_box_outputs(), logits, batch_img_metas=[meta], rescale=False)
    ori, = head.predict_by_feat(
        _one_box_outputs(), logits, batch_img_metas=[meta], rescale=True)
    # Centre (3.5, 2.5) cells = (112, 80) pixels, anchor 1 (248, 272).
    assert torch.allclose(inp.bboxes, torch.tensor([[-12., -56., 236., 216.]]))
    assert torch.allclose(ori.bboxes, torch.tensor([[0., 0., 118., 108.]]))
    assert torch.allclose(ori.scores, torch.sigmoid(torch.tensor([1.])))
    assert inp.input_masks.shape == (1, 400, 416)
    assert inp.input_masks[0, :, :100].all()
    assert not inp.input_masks[0, :, 100:].any()
    assert ori.masks.shape == (1, 200, 208) and ori.masks.dtype == torch.bool
    assert ori.masks[0, :, :49].all() and not ori.masks[0, :, 51:].any()
    assert torch.equal(ori.input_masks, inp.input_masks)


def test_strides_are_arguments():
    """A box grid at stride 16 and a mask branch at stride 4 (the quick
    start's truncated backbone) still give input-size mask logits."""
    head = _head(stride=16, mask_stride=4)
    h, w = 64, 96
    feats = dict(
        top=torch.randn(2, 8, h // 16, w // 16),
        bottom=torch.randn(2, 8, h // 4, w // 4))
    boxes, masks = head(feats)
    assert masks.shape[-2:] == (h, w)
    assert boxes.shape[2:4] == (h // 16, w // 16)
    # Anchors are kept in cells of the box grid.
    assert torch.allclose(head.anchors[0], torch.tensor([137., 256.]) / 16)


@pytest.mark.parametrize('nls', [None, 'adaptive', 'hard'])
def test_non_located_suppression(nls):
    head = _head(nls=nls)
    logits = torch.full((1, 1, S, S), -0.5)  # p = 0.378
    meta = dict(img_shape=(S, S), batch_input_shape=(S, S), img_path='a')
    result, = head.predict_by_feat(
        _one_box_outputs(), logits, batch_img_metas=[meta], rescale=False)
    mask = result.input_masks[0]
    # The box is (-12, -56, 236, 216): rows 0..216, columns 0..236 inside.
    inside = torch.zeros(S, S, dtype=torch.bool)
    inside[:217, :237] = True
    if nls is None:  # the official evaluation: no suppression
        assert mask.all()
    else:
        # adaptive: 0.378 * (2 - 0.731) inside, 0.378 * 0.731 outside.
        assert torch.equal(mask, inside)
    if nls == 'adaptive':
        probs = torch.sigmoid(torch.tensor(-0.5)).expand(S, S)
        score = torch.sigmoid(torch.tensor(1.))
        out = head.suppress_unlocated(probs,
                                      torch.tensor([-12., -56., 236., 216.]),
                                      score)
        assert torch.isclose(out[0, 0], probs[0, 0] * (2 - score))
        assert torch.isclose(out[300, 300], probs[0, 0] * score)


def test_unknown_nls_is_refused():
    with pytest.raises(ValueError, match="'soft'"):
        _head(nls='soft')


def test_missing_mask_names_the_record():
    head = _head()
    samples = _samples()
    del samples[1].gt_instances.masks
    with pytest.raises(ValueError) as error:
        head.loss(_feats(2, samples[0].batch_input_shape), samples)
    assert "img_path='demo_1.jpg'" in str(error.value)
    assert 'gt_instances.masks' in str(error.value)
