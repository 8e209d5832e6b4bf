# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmvg.evaluation.metrics import RESMetric


def rle(mask):
    return mask_utils.encode(np.asfortranarray(np.asarray(mask, np.uint8)))


def mask(shape, *pixels):
    m = np.zeros(shape, dtype=bool)
    for y, x in pixels:
        m[y, x] = True
    return m


def res_sample(pred, gt, scores=None, **meta):
    pred = torch.as_tensor(np.asarray(pred, dtype=bool))
    if pred.dim() == 2:
        pred = pred[None]
    if scores is None:
        scores = [1.0] * len(pred)
    return dict(
        text='the cat',
        img_path='cat.jpg',
        ori_gt_mask=rle(gt),
        pred_instances=dict(
            masks=pred, scores=torch.as_tensor(scores, dtype=torch.float32)),
        **meta)


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_oiou_miou_prec_by_hand():
    shape = (4, 4)
    gt = mask(shape, (0, 0), (0, 1), (1, 0), (1, 1))
    samples = [
        # I = 2, U = 4: IoU 0.5.
        res_sample(mask(shape, (0, 0), (0, 1)), gt),
        # A 3-pixel prediction elsewhere: I = 0, U = 4 + 3 = 7.
        res_sample(mask(shape, (3, 3), (3, 2), (2, 3)), gt),
        # Perfect: I = U = 4.
        res_sample(gt, gt),
    ]
    metrics = evaluate(RESMetric(), samples)
    assert metrics['res/oIoU'] == pytest.approx(100 * 6 / 15)
    assert metrics['res/mIoU'] == pytest.approx(100 * 1.5 / 3)
    assert metrics['res/Prec@0.5'] == pytest.approx(200 / 3)
    assert metrics['res/Prec@0.6'] == pytest.approx(100 / 3)
    assert metrics['res/Prec@0.9'] == pytest.approx(100 / 3)


def test_empty_masks_and_union_zero():
    shape = (3, 5)
    gt = mask(shape, (1, 1), (1, 2))
    empty = np.zeros(shape, dtype=bool)
    samples = [
        # Empty prediction: I = 0, U = 2.
        res_sample(empty, gt),
        # Empty GT and empty prediction: union 0.
        res_sample(empty, empty),
        # Empty GT, one predicted pixel: I = 0, U = 1.
        res_sample(mask(shape, (0, 0)), empty),
        # No predicted mask at all is an empty prediction.
        res_sample(np.zeros((0, *shape), dtype=bool), gt, scores=[]),
    ]
    metrics = evaluate(RESMetric(), samples)
    assert metrics['res/oIoU'] == 0.0
    assert metrics['res/mIoU'] == 0.0
    # With the option, an empty union counts as a perfect sample; it adds
    # nothing to sum I or sum U, so oIoU does not move.
    metrics = evaluate(RESMetric(empty_union_iou=1.0), samples)
    assert metrics['res/mIoU'] == 25.0
    assert metrics['res/Prec@0.9'] == 25.0
    assert metrics['res/oIoU'] == 0.0
    # Only empty unions: oIoU is the empty-union value too.
    metrics = evaluate(RESMetric(), [res_sample(empty, empty)])
    assert metrics['res/oIoU'] == 0.0


def test_highest_scoring_mask_and_uncompressed_rle():
    shape = (2, 2)
    gt = mask(shape, (0, 0))
    sample = res_sample(
        np.stack([mask(shape, (1, 1)), gt]), gt, scores=[0.2, 0.8])
    # An uncompressed RLE (counts as a list) decodes as well.
    sample['ori_gt_mask'] = dict(size=[2, 2], counts=[0, 1, 3])
    assert evaluate(RESMetric(), [sample])['res/mIoU'] == 100.0


def test_input_resolution_crops_padding():
    # Network input 2x3 (img_shape), padded to 4x4.
    padded_gt = np.zeros((2, 4, 4), dtype=bool)
    padded_gt[0, 0, 0] = padded_gt[1, 1, 2] = True
    pred = torch.zeros((1, 2, 3), dtype=torch.bool)
    pred[0, 0, 0] = True
    sample = dict(
        text='cats',
        img_shape=(2, 3),
        gt_instances=dict(masks=torch.as_tensor(padded_gt)),
        pred_instances=dict(input_masks=pred, scores=torch.ones(1)))
    metrics = evaluate(RESMetric(resolution='input'), [sample])
    # GT is the union of both masks: I = 1, U = 2.
    assert metrics['res/oIoU'] == pytest.approx(50.0)


def test_bad_input_is_reported_with_the_record():
    gt = mask((4, 4), (0, 0))
    sample = res_sample(np.zeros((3, 3), dtype=bool), gt, sent_id=11)
    with pytest.raises(ValueError, match='sent_id=11'):
        RESMetric().process(None, [sample])
    sample = res_sample(gt, gt, sent_id=12)
    del sample['ori_gt_mask']
    with pytest.raises(KeyError, match='sent_id=12'):
        RESMetric().process(None, [sample])
    with pytest.raises(KeyError, match='input_masks'):
        sample = res_sample(gt, gt, img_shape=(4, 4))
        sample['gt_instances'] = dict(masks=torch.as_tensor(gt[None]))
        RESMetric(resolution='input').process(None, [sample])
    with pytest.raises(ValueError, match='resolution'):
        RESMetric(resolution='network')


@pytest.mark.parametrize('resolution', ['original', 'input'])
def test_float_mask_is_refused_naming_the_record(resolution):
    # A probability map: every pixel non-zero, only one above 0.5.
    gt = mask((4, 4), (0, 0))
    probs = torch.full((1, 4, 4), 0.1)
    probs[0, 0, 0] = 0.9
    sample = res_sample(gt, gt, sent_id=7, img_shape=(4, 4))
    sample['pred_instances']['masks'] = probs
    sample['pred_instances']['input_masks'] = probs
    sample['gt_instances'] = dict(masks=torch.as_tensor(gt[None]))
    with pytest.raises(
            TypeError, match=r"float32.*img_path='cat.jpg'.*sent_id=7"):
        RESMetric(resolution=resolution).process(None, [sample])
