# Copyright (c) mmvg contributors. All rights reserved.
from typing import Tuple

import torch
from torch import Tensor, nn

from mmvg.registry import MODELS


def box_cell_targets(boxes: Tensor, hw_shape: Tuple[int, int]) -> Tensor:
    """Mark the cells of a feature map that a box covers.

    A cell is covered when its centre lies inside the box. A box that
    covers no centre (smaller than a cell) marks the cell holding its own
    centre, so that every sample has a positive cell.

    Args:
        boxes (Tensor): (N, 4) xyxy boxes, normalised to the padded input
            (the frame the feature map covers).
        hw_shape (tuple[int, int]): (H, W) of the feature map.

    Returns:
        Tensor: (N, H*W) bool, row-major like a flattened map.
    """
    h, w = hw_shape
    ys = (torch.arange(h, device=boxes.device, dtype=boxes.dtype) + 0.5) / h
    xs = (torch.arange(w, device=boxes.device, dtype=boxes.dtype) + 0.5) / w
    x1, y1, x2, y2 = boxes.unbind(1)
    rows = (ys > y1[:, None]) & (ys < y2[:, None])  # (N, H)
    cols = (xs > x1[:, None]) & (xs < x2[:, None])  # (N, W)
    inside = (rows[:, :, None] & cols[:, None, :]).flatten(1)
    centre_row = ((y1 + y2) / 2 * h).long().clamp(0, h - 1)
    centre_col = ((x1 + x2) / 2 * w).long().clamp(0, w - 1)
    centre = torch.zeros_like(inside)
    centre[torch.arange(len(boxes)), centre_row * w + centre_col] = True
    return torch.where(inside.any(1, keepdim=True), inside, centre)


@MODELS.register_module()
class BoxMapLoss(nn.Module):
    """Supervise a per-position score map with the referred box.

    Cells covered by the box (see :func:`box_cell_targets`) should score 1,
    all others 0. The squared error is averaged inside and outside the box
    separately and the two means are added, so that the few positive cells
    weigh as much as the background; the result is averaged over samples.

    VLTVG trains its verification scores from the box loss alone, starting
    from DETR weights. From scratch that implicit signal takes thousands of
    iterations to single out the referred object (see
    ``configs/vltvg/README.md``); this loss gives the scores a direct one.

    Args:
        loss_weight (float): The weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, score: Tensor, boxes: Tensor,
                hw_shape: Tuple[int, int]) -> Tensor:
        """Compute the loss.

        Args:
            score (Tensor): (N, H*W) scores, 1 meaning "the referred
                object".
            boxes (Tensor): (N, 4) xyxy boxes normalised to the padded
                input.
            hw_shape (tuple[int, int]): (H, W) of the score map.

        Returns:
            Tensor: The weighted loss, a scalar.
        """
        target = box_cell_targets(boxes, hw_shape).to(score.dtype)
        error = (score - target).pow(2)
        inside = (error * target).sum(1) / target.sum(1)
        outside = (error *
                   (1 - target)).sum(1) / (1 - target).sum(1).clamp(min=1)
        return self.loss_weight * (inside + outside).mean()
