# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from mmvg.models.heads import CellCategoryHead


def _head():
    torch.manual_seed(0)
    return CellCategoryHead(embed_dims=8, num_classes=5, loss_weight=2.0)


def test_cross_entropy_over_the_box_cells_only():
    head = _head()
    feat = torch.randn(2, 16, 8, requires_grad=True)  # two 4x4 maps
    # Sample 0 covers the top-left 2x2 cells, sample 1 one cell (a box
    # smaller than a cell marks the cell holding its centre).
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.8, 0.8, 0.85, 0.85]])
    labels = torch.tensor([1, 4])
    loss = head.loss(feat, boxes, labels, (4, 4))
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


def test_learns_the_categories():
    head = _head()
    feat = torch.randn(4, 4, 8)
    labels = torch.tensor([0, 1, 2, 3])
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]]).repeat(4, 1)
    optim = torch.optim.Adam(head.parameters(), 0.1)
    before = head.loss(feat, boxes, labels, (2, 2)).item()
    for _ in range(50):
        optim.zero_grad()
        head.loss(feat, boxes, labels, (2, 2)).backward()
        optim.step()
    assert head.loss(feat, boxes, labels, (2, 2)).item() < 0.1 * before


@pytest.mark.parametrize('labels', [[0, 5], [-1, 2]])
def test_category_out_of_range_names_the_fix(labels):
    head = _head()
    with pytest.raises(ValueError, match='num_classes'):
        head.loss(
            torch.randn(2, 4, 8), torch.tensor([[0.0, 0.0, 1.0, 1.0]] * 2),
            torch.tensor(labels), (2, 2))
