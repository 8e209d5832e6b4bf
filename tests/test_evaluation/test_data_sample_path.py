# Copyright (c) mmvg contributors. All rights reserved.
"""Metrics read real VGDataSamples as mmengine's Evaluator hands them."""
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from mmvg.evaluation.metrics import RECMetric, RESMetric
from mmvg.structures import VGDataSample


def test_evaluator_reads_vg_data_samples():
    ori_mask = np.zeros((6, 8), dtype=np.uint8)
    ori_mask[:3, :4] = 1  # 12 pixels
    sample = VGDataSample(
        metainfo=dict(
            img_shape=(3, 4),
            ori_shape=(6, 8),
            ori_gt_bboxes=np.array([[0, 0, 4, 3]], dtype=np.float32),
            ori_gt_mask=mask_utils.encode(np.asfortranarray(ori_mask))))
    input_gt = np.zeros((1, 4, 4), dtype=np.uint8)  # padded to 4x4
    input_gt[0, :2, :2] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 2., 1.5]]),
        masks=BitmapMasks(input_gt, 4, 4))
    pred_mask = torch.zeros((1, 6, 8), dtype=torch.bool)
    pred_mask[0, :3, :2] = True  # 6 of the 12 pixels
    input_pred = torch.zeros((1, 3, 4), dtype=torch.bool)
    input_pred[0, :2, :2] = True
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 4., 1.5]]),
        scores=torch.tensor([0.9]),
        masks=pred_mask,
        input_masks=input_pred)

    evaluator = Evaluator([
        RECMetric(range_thrs=None),
        RESMetric(prefix='res_ori'),
        RESMetric(resolution='input', prefix='res_input')
    ])
    evaluator.process([sample])
    metrics = evaluator.evaluate(1)
    assert metrics['rec/mIoU'] == pytest.approx(50.0)
    assert metrics['rec/Acc@0.5'] == 100.0
    assert metrics['res_ori/oIoU'] == pytest.approx(50.0)
    assert metrics['res_input/oIoU'] == 100.0
