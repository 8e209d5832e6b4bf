# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmvg.evaluation.metrics import RECMetric
from mmvg.evaluation.metrics.utils import box_iou


def rec_sample(pred, gt, scores=None, text='a dog', **meta):
    pred = torch.tensor(pred, dtype=torch.float32).reshape(-1, 4)
    if scores is None:
        scores = torch.ones(len(pred))
    return dict(
        text=text,
        img_path='img.jpg',
        ori_gt_bboxes=np.array(gt, dtype=np.float32).reshape(-1, 4),
        pred_instances=dict(
            bboxes=pred, scores=torch.as_tensor(scores, dtype=torch.float32)),
        **meta)


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_box_iou_and_giou_by_hand():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30]])
    iou = box_iou(a, b)
    # Intersection 50, union 150; disjoint boxes give 0.
    np.testing.assert_allclose(iou, [[1 / 3, 0.0]])
    giou = box_iou(a, b, mode='giou')
    # Enclosing boxes: 15x10 = 150 (no penalty) and 30x30 = 900.
    np.testing.assert_allclose(giou, [[1 / 3, 0 - (900 - 200) / 900]])
    # Degenerate boxes: empty union gives IoU 0, not NaN.
    assert box_iou([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0, 0] == 0
    with pytest.raises(ValueError, match='mode'):
        box_iou(a, b, mode='diou')


def test_iou_exactly_half_with_and_without_strict():
    # IoU = 50 / 100 = 0.5 exactly.
    samples = [rec_sample([[0, 0, 10, 10]], [[0, 0, 10, 5]])]
    metrics = evaluate(RECMetric(range_thrs=None), samples)
    assert metrics == {'rec/Acc@0.5': 100.0, 'rec/mIoU': 50.0}
    metrics = evaluate(RECMetric(range_thrs=None, strict=True), samples)
    assert metrics['rec/Acc@0.5'] == 0.0


def test_legacy_plus_one_iou():
    """VL-BERT's protocol: sides of x2 - x1 + 1 pixels, IoU >= 0.5."""
    # Without +1: 10x10 against 10x4, IoU 0.4. With +1: 11x11 = 121
    # against 11x5 = 55, IoU 55 / 121 = 0.4545.
    np.testing.assert_allclose(
        box_iou([[0, 0, 10, 10]], [[0, 0, 10, 4]], offset=1.), [[55 / 121]])
    # A one-pixel box: empty without +1, one pixel with it.
    assert box_iou([[3, 3, 3, 3]], [[3, 3, 3, 3]], offset=1.)[0, 0] == 1
    # 0 .. 9 against 0 .. 4: with +1 10x10 and 10x5 pixels, IoU 0.5
    # exactly, a hit with >=; without +1 9x9 and 9x4, IoU 36 / 81.
    samples = [rec_sample([[0, 0, 9, 9]], [[0, 0, 9, 4]])]
    plain = evaluate(RECMetric(range_thrs=None), samples)
    assert plain['rec/Acc@0.5'] == 0.0
    legacy = evaluate(
        RECMetric(range_thrs=None, legacy_plus_one=True), samples)
    assert legacy == {'rec/Acc@0.5': 100.0, 'rec/mIoU': 50.0}
    strict = evaluate(
        RECMetric(range_thrs=None, legacy_plus_one=True, strict=True), samples)
    assert strict['rec/Acc@0.5'] == 0.0


def test_top1_by_score_ties_empty_prediction_and_several_gt():
    samples = [
        # The second box has the higher score and hits exactly.
        rec_sample([[50, 50, 60, 60], [0, 0, 10, 10]], [[0, 0, 10, 10]],
                   scores=[0.1, 0.9]),
        # Equal scores: the first box counts (it misses).
        rec_sample([[50, 50, 60, 60], [0, 0, 10, 10]], [[0, 0, 10, 10]],
                   scores=[0.5, 0.5]),
        # No prediction: IoU 0.
        rec_sample(np.zeros((0, 4)), [[0, 0, 10, 10]], scores=[]),
        # Two GT boxes: the better one counts (IoU 0.5 with the second).
        rec_sample([[20, 0, 30, 10]], [[0, 0, 10, 10], [20, 0, 30, 20]]),
    ]
    metrics = evaluate(RECMetric(iou_thrs=(0.5, 0.75)), samples)
    assert metrics['rec/Acc@0.5'] == pytest.approx(50.0)
    assert metrics['rec/Acc@0.75'] == pytest.approx(25.0)
    assert metrics['rec/mIoU'] == pytest.approx(100 * 1.5 / 4)
    # Acc at 0.5: 2/4; at the 8 thresholds above 0.5: 1/4.
    assert metrics['rec/Acc@0.5:0.9'] == pytest.approx(100 *
                                                       (2 / 4 + 8 * 1 / 4) / 9)


def test_breakdowns_by_length_and_targets():
    samples = [
        rec_sample([[0, 0, 10, 10]], [[0, 0, 10, 10]], text='dog'),
        rec_sample([[0, 0, 10, 10]], [[50, 0, 60, 10]],
                   text='the big brown dog'),
        rec_sample([[0, 0, 10, 10]], [[0, 0, 10, 10], [20, 0, 30, 10]],
                   text='two of the dogs on the left'),
    ]
    metric = RECMetric(
        range_thrs=None, length_buckets=(3, 6), by_num_targets=True)
    metrics = evaluate(metric, samples)
    assert metrics['rec/Acc@0.5'] == pytest.approx(200 / 3)
    assert metrics['rec/len_1-3/Acc@0.5'] == 100.0
    assert metrics['rec/len_4-6/Acc@0.5'] == 0.0
    assert metrics['rec/len_7+/Acc@0.5'] == 100.0
    assert metrics['rec/targets_1/Acc@0.5'] == 50.0
    assert metrics['rec/targets_2+/Acc@0.5'] == 100.0
    # Empty subsets are not reported.
    assert 'rec/targets_0/Acc@0.5' not in metrics
    keys = [k for k in metrics if k.startswith('rec/len_')]
    assert keys == [
        'rec/len_1-3/Acc@0.5', 'rec/len_1-3/mIoU', 'rec/len_4-6/Acc@0.5',
        'rec/len_4-6/mIoU', 'rec/len_7+/Acc@0.5', 'rec/len_7+/mIoU'
    ]


def test_breakdowns_and_errors_use_the_records_text():
    """Length buckets count the words of ``ori_text`` (the annotation's
    expression), not of the cleaned or flipped ``text``."""
    samples = [
        rec_sample([[0, 0, 10, 10]], [[0, 0, 10, 10]],
                   text='dog',
                   ori_text='Two of the dogs on the LEFT.'),
        rec_sample([[0, 0, 10, 10]], [[50, 0, 60, 10]],
                   text='the big brown dog on the right',
                   ori_text='the dog'),
    ]
    metric = RECMetric(range_thrs=None, length_buckets=(3, 6))
    metrics = evaluate(metric, samples)
    assert metrics['rec/len_7+/Acc@0.5'] == 100.0
    assert metrics['rec/len_1-3/Acc@0.5'] == 0.0
    assert 'rec/len_4-6/Acc@0.5' not in metrics
    no_gt = rec_sample([[0, 0, 1, 1]],
                       np.zeros((0, 4)),
                       text='the right cup',
                       ori_text='The LEFT cup')
    with pytest.raises(ValueError, match="text='The LEFT cup'"):
        RECMetric().process(None, [no_gt])


def test_padding_beyond_size_is_dropped():
    hit = rec_sample([[0, 0, 10, 10]], [[0, 0, 10, 10]])
    miss = rec_sample([[0, 0, 10, 10]], [[50, 0, 60, 10]])
    metric = RECMetric(range_thrs=None)
    # A sampler pads the last batch with repeats: only `size` count.
    metric.process(None, [hit, miss, hit, hit])
    assert metric.evaluate(2)['rec/Acc@0.5'] == 50.0


def test_bad_records_name_the_sample():
    metric = RECMetric()
    no_gt = rec_sample([[0, 0, 1, 1]], np.zeros((0, 4)), sent_id=7)
    with pytest.raises(ValueError, match='sent_id=7'):
        metric.process(None, [no_gt])
    missing = rec_sample([[0, 0, 1, 1]], [[0, 0, 1, 1]], sent_id=8)
    del missing['ori_gt_bboxes']
    with pytest.raises(KeyError, match='sent_id=8'):
        metric.process(None, [missing])
    with pytest.raises(ValueError, match='length_buckets'):
        RECMetric(length_buckets=(5, 3))


def test_empty_split_is_an_error():
    with pytest.raises(ValueError, match='no sample'):
        RECMetric().compute_metrics([])


def test_half_precision_predictions():
    # fp16/bf16 runs (DeepSpeed) predict in half precision; numpy has no
    # bfloat16
    sample = rec_sample([0, 0, 10, 10], [0, 0, 10, 10])
    sample['pred_instances'] = dict(
        bboxes=sample['pred_instances']['bboxes'].bfloat16(),
        scores=sample['pred_instances']['scores'].half())
    result = evaluate(RECMetric(), [sample])
    assert result['rec/Acc@0.5'] == 100.0
