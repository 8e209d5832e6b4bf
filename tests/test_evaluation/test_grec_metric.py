# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmvg.evaluation.metrics import GRECMetric
from mmvg.evaluation.metrics.grec_metric import greedy_match

PR = 'grec/Pr@(F1=1,IoU>=0.5)'


def grec_sample(pred, scores, gt, text='the dogs'):
    return dict(
        text=text,
        img_path='dogs.jpg',
        ori_gt_bboxes=np.array(gt, dtype=np.float32).reshape(-1, 4),
        pred_instances=dict(
            bboxes=torch.tensor(pred, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor(scores, dtype=torch.float32)))


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_greedy_match_tie_rule():
    # All three 0.8 overlaps tie. The rule takes the first in row-major
    # order (prediction 0 with GT 0); prediction 1 is then left with GT 1
    # at 0.3, below the threshold: one match, not two.
    overlaps = np.array([[0.8, 0.8], [0.8, 0.3]])
    assert greedy_match(overlaps, 0.5) == 1
    # Exactly at the threshold matches (>=).
    assert greedy_match(np.array([[0.5]]), 0.5) == 1
    assert greedy_match(np.array([[0.4, 0.9], [0.9, 0.2]]), 0.5) == 2
    assert greedy_match(np.zeros((0, 2)), 0.5) == 0


def test_official_semantics_by_hand():
    a, b = [0, 0, 10, 10], [20, 0, 30, 10]
    samples = [
        # No target, the only box is below the score threshold: correct.
        grec_sample([a], [0.6], []),
        # No target, a kept box: wrong.
        grec_sample([a], [0.9], []),
        # Two targets, both found; a low-score extra is ignored: correct.
        grec_sample([b, a, [50, 50, 60, 60]], [0.8, 0.7, 0.69], [a, b]),
        # One target found plus one false positive: F1 = 2/3, wrong.
        grec_sample([a, b], [0.9, 0.9], [a]),
        # A target, nothing kept: wrong, and a T-acc miss.
        grec_sample([a], [0.1], [a]),
        # Two targets, one found: FN = 1, wrong.
        grec_sample([a], [0.95], [a, b]),
    ]
    metric = GRECMetric(by_num_targets=True)
    metrics = evaluate(metric, samples)
    assert metrics[PR] == pytest.approx(100 * 2 / 6)
    assert metrics['grec/N-acc'] == 50.0
    assert metrics['grec/T-acc'] == 75.0
    assert metrics['grec/targets_0/' + PR[5:]] == 50.0
    assert metrics['grec/targets_1/' + PR[5:]] == 0.0
    assert metrics['grec/targets_2+/' + PR[5:]] == 50.0
    assert 'grec/targets_0/T-acc' not in metrics
    assert 'grec/targets_1/N-acc' not in metrics


def test_ties_in_matching_decide_the_sample():
    gt = [[0, 0, 10, 10], [0, 0, 10, 10.0]]
    # Two identical GT boxes and two identical predictions: every pair
    # ties at GIoU 1, and the one-to-one matching finds both.
    samples = [grec_sample(gt, [0.9, 0.9], gt)]
    assert evaluate(GRECMetric(), samples)[PR] == 100.0


def test_giou_versus_iou_option():
    pred = [[0, 0, 10, 10]]
    gt = [[1.7, 1.7, 11.7, 11.7]]
    # IoU = 8.3^2 / (200 - 8.3^2) = 0.525; the enclosing box is 11.7^2,
    # so GIoU = 0.525 - (136.89 - 131.11) / 136.89 = 0.483.
    samples = [grec_sample(pred, [1.0], gt)]
    assert evaluate(GRECMetric(), samples)[PR] == 0.0
    assert evaluate(GRECMetric(iou_mode='iou'), samples)[PR] == 100.0
    with pytest.raises(ValueError, match='iou_mode'):
        GRECMetric(iou_mode='diou')


def test_score_threshold_is_inclusive():
    a = [0, 0, 10, 10]
    metrics = evaluate(GRECMetric(), [grec_sample([a], [0.7], [a])])
    assert metrics[PR] == 100.0
    assert 'grec/N-acc' not in metrics
