# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmvg.evaluation.metrics import InconsistencyErrorMetric

GT_BOX = [0.0, 0.0, 10.0, 10.0]
RIGHT_BOX = GT_BOX  # IoU 1
HALF_BOX = [0.0, 0.0, 5.0, 10.0]  # IoU exactly 0.5
WRONG_BOX = [20.0, 20.0, 30.0, 30.0]  # IoU 0


def rle(mask):
    return mask_utils.encode(np.asfortranarray(np.asarray(mask, np.uint8)))


def region(rows, cols, shape=(4, 4)):
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    return mask


GT_MASK = region(slice(0, 2), slice(0, 2))  # 4 pixels
RIGHT_MASK = GT_MASK  # IoU 1
HALF_MASK = region(slice(0, 1), slice(0, 2))  # IoU 2 / 4 = 0.5
WRONG_MASK = region(slice(3, 4), slice(3, 4))  # IoU 0


def sample(box, mask, gt_mask=GT_MASK, sent_id=0):
    return dict(
        text='the cat',
        img_path='cat.jpg',
        sent_id=sent_id,
        ori_gt_bboxes=np.array([GT_BOX], np.float32),
        ori_gt_mask=rle(gt_mask),
        pred_instances=dict(
            bboxes=torch.tensor([box], dtype=torch.float32),
            scores=torch.ones(1),
            masks=torch.as_tensor(np.asarray(mask))[None]))


def evaluate(metric, *batches):
    for batch in batches:
        metric.process(None, batch)
    return metric.evaluate(sum(len(b) for b in batches))


def test_ie_counts_samples_where_exactly_one_is_right():
    both = sample(RIGHT_BOX, RIGHT_MASK)
    box_only = sample(RIGHT_BOX, WRONG_MASK)
    mask_only = sample(WRONG_BOX, RIGHT_MASK)
    neither = sample(WRONG_BOX, WRONG_MASK)
    metrics = evaluate(InconsistencyErrorMetric(),
                       [both, box_only, mask_only, neither])
    assert metrics == {'recres/IE': pytest.approx(50.0)}


def test_per_sample_not_per_batch():
    # batch 1: IE 0 of 1; batch 2: IE 2 of 3. The mean of batch means
    # would be 33.3 (SimREC's meters); per sample it is 2 of 4.
    batch1 = [sample(RIGHT_BOX, RIGHT_MASK)]
    batch2 = [
        sample(RIGHT_BOX, WRONG_MASK),
        sample(WRONG_BOX, RIGHT_MASK),
        sample(WRONG_BOX, WRONG_MASK)
    ]
    metrics = evaluate(InconsistencyErrorMetric(), batch1, batch2)
    assert metrics['recres/IE'] == pytest.approx(50.0)


def test_threshold_conventions():
    # box IoU exactly 0.5, mask IoU 1: right by >=, wrong by SimREC's >
    half_box = [sample(HALF_BOX, RIGHT_MASK)]
    assert evaluate(InconsistencyErrorMetric(), half_box)['recres/IE'] == 0.0
    assert evaluate(InconsistencyErrorMetric(box_strict=True),
                    half_box)['recres/IE'] == 100.0
    # mask IoU exactly 0.5, box IoU 1
    half_mask = [sample(RIGHT_BOX, HALF_MASK)]
    assert evaluate(InconsistencyErrorMetric(), half_mask)['recres/IE'] == 0.0
    assert evaluate(InconsistencyErrorMetric(mask_strict=True),
                    half_mask)['recres/IE'] == 100.0


def test_empty_union_iou_option():
    # nothing predicted, empty gt mask, right box: the mask IoU is 0 by
    # default (inconsistent) and 1 in SimREC's evaluation (consistent)
    empty = np.zeros((4, 4), bool)
    samples = [sample(RIGHT_BOX, empty, gt_mask=empty)]
    assert evaluate(InconsistencyErrorMetric(), samples)['recres/IE'] == 100.0
    assert evaluate(InconsistencyErrorMetric(empty_union_iou=1.0),
                    samples)['recres/IE'] == 0.0


def test_bad_records_are_named():
    no_box = sample(RIGHT_BOX, RIGHT_MASK, sent_id=17)
    no_box['ori_gt_bboxes'] = np.zeros((0, 4), np.float32)
    with pytest.raises(ValueError, match='17'):
        InconsistencyErrorMetric().process(None, [no_box])
    no_mask = sample(RIGHT_BOX, RIGHT_MASK, sent_id=18)
    del no_mask['ori_gt_mask']
    with pytest.raises(KeyError, match='18'):
        InconsistencyErrorMetric().process(None, [no_mask])
    with pytest.raises(ValueError, match='resolution'):
        InconsistencyErrorMetric(resolution='half')
