# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from mmvg.models.heads import CellCategoryHead

PAD = 100  # boxes below are given normalised; the head reads pixels


def _head():
    torch.manual_seed(0)
    return CellCategoryHead(in_channels=8, num_classes=5, loss_weight=2.0)


def _loss(head, feat, boxes, labels, hw_shape):
    gts, metas = [], []
    for box, label in zip(boxes, labels):
        gt = InstanceData()
        gt.bboxes = box[None] * PAD
        gt.labels = torch.tensor([label])
        gts.append(gt)
        metas.append(dict(batch_input_shape=(PAD, PAD), img_path='a.jpg'))
    outs = head(dict(img_feats=feat, hw_shape=hw_shape))
    return head.loss_by_feat(
        *outs, batch_gt_instances=gts, batch_img_metas=metas)['loss_cls']


def test_cross_entropy_over_the_box_cells_only():
    head = _head()
    feat = torch.randn(2, 16, 8, requires_grad=True)  # two 4x4 maps
    # Sample 0 covers the top-left 2x2 cells, sample 1 one cell (a box
    # smaller than a cell marks the cell holding its centre).
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.8, 0.8, 0.85, 0.85]])
    loss = _loss(head, feat, boxes, [1, 4], (4, 4))
    logits = head.classifier(feat)
    cells0 = [0, 1, 4, 5]
    expected = F.cross_entropy(
        torch.cat([logits[0, cells0], logits[1, [15]]]),
        torch.tensor([1, 1, 1, 1, 4]))
    assert torch.isclose(loss, 2.0 * expected)
    loss.backward()
    # Only the covered cells receive a gradient.
    touched = feat.grad.abs().sum(-1) > 0
    assert touched[0].nonzero().flatten().tolist() == cells0
    assert touched[1].nonzero().flatten().tolist() == [15]


def test_grefcoco_samples_every_box_and_no_target():
    """Several boxes: each box's cells take its category (the later box
    where they overlap); a no-target sample adds no cell."""
    head = _head()
    feat = torch.randn(3, 16, 8)
    gts = [
        InstanceData(
            bboxes=torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.25, 0.0, 0.75, 0.25]
                                 ]) * PAD,
            labels=torch.tensor([1, 3])),
        InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long()),
        InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long()),
    ]
    metas = [dict(batch_input_shape=(PAD, PAD), img_path='a.jpg')] * 3
    loss = head.loss_by_feat(
        *head(dict(img_feats=feat, hw_shape=(4, 4))),
        batch_gt_instances=gts,
        batch_img_metas=metas)['loss_cls']
    logits = head.classifier(feat[0])
    expected = F.cross_entropy(logits[[0, 1, 2, 4, 5]],
                               torch.tensor([1, 3, 3, 1, 1]))
    assert torch.isclose(loss, 2.0 * expected)
    # Only no-target samples: a zero loss that still backpropagates.
    empty = head.loss_by_feat(
        *head(dict(img_feats=feat[1:], hw_shape=(4, 4))),
        batch_gt_instances=gts[1:],
        batch_img_metas=metas[1:])['loss_cls']
    assert empty == 0 and empty.requires_grad
    with pytest.raises(ValueError, match='Category ids must lie'):
        head.loss_by_feat(
            *head(dict(img_feats=feat[:1], hw_shape=(4, 4))),
            batch_gt_instances=[
                InstanceData(
                    bboxes=gts[0].bboxes, labels=torch.tensor([1, 9]))
            ],
            batch_img_metas=metas[:1])


def test_reads_a_map_under_its_key():
    """An (N, C, H, W) map (SimREC's backbone levels) gives the loss of
    the same features as tokens."""
    head = _head()
    head.in_key = 'stride16'
    feat = torch.randn(2, 16, 8)
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.8, 0.8, 0.85, 0.85]])
    gts, metas = [], []
    for box, label in zip(boxes, [1, 4]):
        gts.append(
            InstanceData(bboxes=box[None] * PAD, labels=torch.tensor([label])))
        metas.append(dict(batch_input_shape=(PAD, PAD), img_path='a.jpg'))
    as_map = feat.transpose(1, 2).unflatten(2, (4, 4))
    outs = head(dict(stride16=as_map))
    loss = head.loss_by_feat(
        *outs, batch_gt_instances=gts, batch_img_metas=metas)['loss_cls']
    head.in_key = 'img_feats'
    assert torch.isclose(loss, _loss(head, feat, boxes, [1, 4], (4, 4)))


def test_learns_the_categories():
    head = _head()
    feat = torch.randn(4, 4, 8)
    labels = [0, 1, 2, 3]
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]]).repeat(4, 1)
    optim = torch.optim.Adam(head.parameters(), 0.1)
    before = _loss(head, feat, boxes, labels, (2, 2)).item()
    for _ in range(50):
        optim.zero_grad()
        _loss(head, feat, boxes, labels, (2, 2)).backward()
        optim.step()
    assert _loss(head, feat, boxes, labels, (2, 2)).item() < 0.1 * before


@pytest.mark.parametrize('labels', [[0, 5], [-1, 2]])
def test_category_out_of_range_names_the_fix(labels):
    head = _head()
    with pytest.raises(ValueError, match='num_classes'):
        _loss(head, torch.randn(2, 4, 8),
              torch.tensor([[0.0, 0.0, 1.0, 1.0]] * 2), labels, (2, 2))


def test_is_training_only():
    head = _head()
    assert not head.predicts
    with pytest.raises(NotImplementedError, match='training-only'):
        head.predict_by_feat(
            torch.zeros(1, 5, 2, 2), batch_img_metas=[{}], rescale=True)
