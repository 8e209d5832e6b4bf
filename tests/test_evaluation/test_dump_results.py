# Copyright (c) mmvg contributors. All rights reserved.
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmvg.evaluation.metrics import DumpGroundingResults


def sample(pred, gt, **extra):
    return dict(
        text='the cup',
        image_id=np.int64(3),
        sent_id=5,
        ori_gt_bboxes=np.array(gt, dtype=np.float32).reshape(-1, 4),
        pred_instances=dict(
            bboxes=torch.tensor(pred, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor([0.2, 0.9][:len(pred)])),
        **extra)


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lines_hold_prediction_gt_iou_and_correct(tmp_path):
    out = tmp_path / 'sub' / 'pred.jsonl'
    metric = DumpGroundingResults(out_file_path=str(out))
    gt_mask = np.zeros((20, 20), dtype=np.uint8)
    gt_mask[:10, :10] = 1
    pred_mask = torch.zeros((1, 20, 20), dtype=torch.bool)
    pred_mask[0, :5, :10] = True
    with_mask = sample([[0, 0, 10, 10]], [[0, 0, 10, 10]],
                       ori_gt_mask=mask_utils.encode(
                           np.asfortranarray(gt_mask)))
    with_mask['pred_instances']['masks'] = pred_mask
    samples = [
        # The higher-scoring second box is the prediction: IoU 0.5.
        sample([[50, 50, 60, 60], [0, 0, 10, 5]], [[0, 0, 10, 10]]),
        with_mask,
        # No prediction: nulls, and no verdict.
        sample(np.zeros((0, 4)), [[0, 0, 10, 10]]),
    ]
    metric.process(None, samples)
    assert metric.evaluate(len(samples)) == {}
    first, second, third = read_lines(out)
    assert first['pred_bbox'] == [0, 0, 10, 5]
    assert first['pred_score'] == pytest.approx(0.9)
    assert first['gt_bboxes'] == [[0, 0, 10, 10]]
    assert first['iou'] == 0.5 and first['correct'] is True
    assert first['image_id'] == 3 and first['text'] == 'the cup'
    assert 'split' not in first
    assert second['mask_iou'] == 0.5 and second['iou'] == 1.0
    assert third['iou'] is None and third['correct'] is None


def test_lines_show_the_records_text(tmp_path):
    """The dump shows ``ori_text`` (the annotation's expression), not the
    cleaned or flipped ``text`` the model read."""
    out = tmp_path / 'pred.jsonl'
    metric = DumpGroundingResults(out_file_path=str(out))
    flipped = sample([[0, 0, 10, 10]], [[0, 0, 10, 10]],
                     ori_text='The cup on the  LEFT')
    flipped['text'] = 'the cup on the right'
    metric.process(None, [flipped, sample([[0, 0, 10, 10]], [[0, 0, 1, 1]])])
    metric.evaluate(2)
    first, second = read_lines(out)
    assert first['text'] == 'The cup on the  LEFT'
    # Samples built without ori_text (older pipelines) show ``text``.
    assert second['text'] == 'the cup'


def test_later_splits_append_with_their_name(tmp_path):
    out = tmp_path / 'pred.jsonl'
    out.write_text('stale line from an earlier run\n')
    for split in ('val', 'testA'):
        metric = DumpGroundingResults(out_file_path=str(out))
        metric.dataset_meta = dict(split=split)
        metric.process(None, [sample([[0, 0, 1, 1]], [[5, 5, 6, 6]])])
        metric.evaluate(1)
    lines = read_lines(out)
    assert [line['split'] for line in lines] == ['val', 'testA']
    assert lines[0]['correct'] is False


def test_bad_extension():
    with pytest.raises(ValueError, match='.jsonl'):
        DumpGroundingResults(out_file_path='pred.json')
