# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmvg.evaluation.metrics import PhraseGroundingMetric


def phrase_sample(pred, scores, gt, text='two dogs'):
    return dict(
        text=text,
        img_path='flickr.jpg',
        ori_gt_bboxes=np.array(gt, dtype=np.float32).reshape(-1, 4),
        pred_instances=dict(
            bboxes=torch.tensor(pred, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor(scores, dtype=torch.float32)))


def test_any_box_and_merged_box_by_hand():
    left, right = [0, 0, 10, 10], [20, 0, 30, 10]
    merged = [0, 0, 30, 10]
    far = [40, 40, 50, 50]
    samples = [
        # Ranked far, left, merged (scores reorder them): any-box hits at
        # rank 2, merged-box at rank 3 (left has IoU 1/3 with it).
        phrase_sample([merged, far, left], [0.3, 0.9, 0.5], [left, right]),
        # A hit at rank 1 under both protocols (one GT box).
        phrase_sample([left], [1.0], [left]),
        # No prediction at all.
        phrase_sample(np.zeros((0, 4)), [], [left]),
    ]
    metric = PhraseGroundingMetric(topk=(1, 2, 3))
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    assert metrics == pytest.approx({
        'flickr/any_box/R@1': 100 / 3,
        'flickr/any_box/R@2': 200 / 3,
        'flickr/any_box/R@3': 200 / 3,
        'flickr/merged_box/R@1': 100 / 3,
        'flickr/merged_box/R@2': 100 / 3,
        'flickr/merged_box/R@3': 200 / 3,
    })


def test_options_and_bad_records():
    metric = PhraseGroundingMetric(protocols=('merged', ))
    box = [0, 0, 2, 2]
    metric.process(None, [phrase_sample([box], [1.], [box])])
    assert list(metric.evaluate(1)) == [
        'flickr/merged_box/R@1', 'flickr/merged_box/R@5',
        'flickr/merged_box/R@10'
    ]
    with pytest.raises(ValueError, match='protocols'):
        PhraseGroundingMetric(protocols=('union', ))
    with pytest.raises(ValueError, match='topk'):
        PhraseGroundingMetric(topk=(0, ))
    sample = phrase_sample([[0, 0, 2, 2]], [1.], np.zeros((0, 4)))
    with pytest.raises(ValueError, match='flickr.jpg'):
        PhraseGroundingMetric().process(None, [sample])
