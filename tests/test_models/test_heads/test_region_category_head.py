# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from mmvg.registry import MODELS
from mmvg.utils import register_all_modules

register_all_modules()


def _gt(box, label):
    return InstanceData(
        bboxes=torch.tensor([box]), labels=torch.tensor([label]))


def test_cross_entropy_over_the_regions_on_the_target():
    head = MODELS.build(
        dict(type='RegionCategoryHead', in_channels=4, num_classes=3))
    logits = torch.randn(2, 3, 3)
    boxes = torch.tensor([[[0., 0., 10., 10.], [0., 0., 9., 10.],
                           [20., 20., 30., 30.]],
                          [[0., 0., 10., 10.], [20., 20., 30., 30.],
                           [20., 20., 30., 31.]]])
    # the third region of the second sample is padding
    mask = torch.tensor([[True, True, True], [True, True, False]])
    gts = [_gt([0., 0., 10., 10.], 2), _gt([20., 20., 30., 30.], 1)]
    loss = head.loss_by_feat(
        logits, boxes, mask, batch_gt_instances=gts,
        batch_img_metas=[{}, {}])['loss_cls']
    expected = F.cross_entropy(
        torch.stack([logits[0, 0], logits[0, 1], logits[1, 1]]),
        torch.tensor([2, 2, 1]))
    torch.testing.assert_close(loss, expected)
    # no region on any target: zero, still part of the graph
    logits.requires_grad_(True)
    far = [_gt([50., 50., 60., 60.], 2), _gt([50., 50., 60., 60.], 1)]
    loss = head.loss_by_feat(
        logits, boxes, mask, batch_gt_instances=far,
        batch_img_metas=[{}, {}])['loss_cls']
    assert loss == 0 and loss.requires_grad
    with pytest.raises(ValueError, match='num_classes'):
        head.loss_by_feat(
            logits,
            boxes,
            mask,
            batch_gt_instances=[_gt([0., 0., 10., 10.], 3)] * 2,
            batch_img_metas=[{}, {}])
