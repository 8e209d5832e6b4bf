# Copyright (c) mmvg contributors. All rights reserved.
from typing import Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from mmvg.registry import MODELS
from ..losses import box_cell_targets


@MODELS.register_module()
class CellCategoryHead(nn.Module):
    """Classify the visual features under the referred box by the referred
    object's category.

    A linear classifier scores every position of the visual feature map;
    the cross-entropy is taken over the cells the gt box covers (see
    :func:`box_cell_targets`) and averaged over them.

    VLTVG starts from DETR weights, whose detection training taught the
    backbone object categories. Trained from scratch, its grounding losses
    alone leave the backbone without shape features (a linear probe tells
    the synthetic shapes apart about as well as chance after the quick
    start, ``configs/vltvg/README.md``); this head gives the visual
    features that signal during grounding training. It is used in training
    only and needs ``LoadVGAnnotations(with_category=True)``.

    Args:
        embed_dims (int): Channels of the visual features.
        num_classes (int): Number of category ids, the largest id plus one
            (ids are the dataset's own, e.g. 91 for COCO's 1-90).
        loss_weight (float): The weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 embed_dims: int,
                 num_classes: int,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.classifier = nn.Linear(embed_dims, num_classes)

    def loss(self, img_feat: Tensor, boxes: Tensor, labels: Tensor,
             hw_shape: Tuple[int, int]) -> Tensor:
        """Compute the loss.

        Args:
            img_feat (Tensor): (N, H*W, C) visual features.
            boxes (Tensor): (N, 4) xyxy gt boxes normalised to the padded
                input.
            labels (Tensor): (N, ) category ids of the referred objects.
            hw_shape (tuple[int, int]): (H, W) of the feature map.

        Returns:
            Tensor: The weighted loss, a scalar.
        """
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f'Category ids must lie in [0, {self.num_classes}); got '
                f'{labels.tolist()}. Set num_classes to the largest id + 1.')
        cells = box_cell_targets(boxes, hw_shape)  # (N, HW)
        logits = self.classifier(img_feat)[cells]  # (cells, K)
        targets = labels[:, None].expand_as(cells)[cells]
        return self.loss_weight * F.cross_entropy(logits, targets)
