# Copyright (c) mmvg contributors. All rights reserved.
import torch

from mmvg.models.losses import BoxMapLoss, box_cell_targets


def test_cells_whose_centre_is_inside_the_box():
    # A 4x4 map: cell centres at 0.125, 0.375, 0.625, 0.875.
    boxes = torch.tensor([[0.3, 0.0, 0.7, 0.5]])
    target = box_cell_targets(boxes, (4, 4)).view(4, 4)
    expected = torch.zeros(4, 4, dtype=torch.bool)
    expected[0:2, 1:3] = True
    assert torch.equal(target, expected)


def test_non_square_map_is_row_major():
    boxes = torch.tensor([[0.0, 0.5, 0.5, 1.0]])  # bottom-left quarter
    target = box_cell_targets(boxes, (2, 4)).view(2, 4)
    assert torch.equal(target,
                       torch.tensor([[False] * 4, [True, True, False, False]]))


def test_box_smaller_than_a_cell_marks_its_centre_cell():
    # Covers no cell centre; its centre (0.55, 0.3) lies in row 1, col 2.
    boxes = torch.tensor([[0.52, 0.28, 0.58, 0.32]])
    target = box_cell_targets(boxes, (4, 4)).view(4, 4)
    assert target.sum() == 1 and target[1, 2]


def test_degenerate_boxes_still_get_one_cell():
    # Zero width, and a box beyond the map (padding coordinates).
    boxes = torch.tensor([[0.5, 0.1, 0.5, 0.9], [1.2, 1.1, 1.4, 1.3]])
    target = box_cell_targets(boxes, (4, 4))
    assert target.sum(1).tolist() == [1, 1]
    assert target[1].view(4, 4)[3, 3]


def test_loss_is_balanced_between_box_and_background():
    loss = BoxMapLoss(loss_weight=1.0)
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5]])  # 4 of 16 cells
    target = box_cell_targets(boxes, (4, 4)).float()
    assert loss(target, boxes, (4, 4)) == 0
    # All zeros misses the box entirely: 1 inside, 0 outside; all ones is
    # wrong on the whole background: 0 inside, 1 outside.
    assert torch.isclose(
        loss(torch.zeros(1, 16), boxes, (4, 4)), torch.tensor(1.0))
    assert torch.isclose(
        loss(torch.ones(1, 16), boxes, (4, 4)), torch.tensor(1.0))
    # Half everywhere: 0.25 + 0.25, then the weight.
    assert torch.isclose(
        BoxMapLoss(loss_weight=3.0)(torch.full((1, 16), 0.5), boxes, (4, 4)),
        torch.tensor(1.5))


def test_box_covering_the_whole_map_has_no_background_term():
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    score = torch.full((1, 4), 0.5, requires_grad=True)
    value = BoxMapLoss()(score, boxes, (2, 2))
    assert torch.isclose(value, torch.tensor(0.25))
    value.backward()
    assert torch.isfinite(score.grad).all()
