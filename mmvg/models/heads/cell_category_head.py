# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS
from ..losses import box_cell_targets
from .base_vg_head import BaseVGHead, check_categories, gt_field


@MODELS.register_module()
class CellCategoryHead(BaseVGHead):
    """Classify the visual features under the referred boxes by the
    referred objects' categories (a training-only auxiliary head).

    A linear classifier scores every position of the visual feature map;
    the cross-entropy is taken over the cells the gt boxes cover (see
    :func:`box_cell_targets`; where boxes overlap, the later box's
    category) and averaged over them. A sample without a target (gRefCOCO)
    adds no cell.

    VLTVG starts from DETR weights, whose detection training taught the
    backbone object categories. Trained from scratch, its grounding losses
    alone leave the backbone without shape features (a linear probe tells
    the synthetic shapes apart about as well as chance after the quick
    start, ``configs/vltvg/README.md``); this head gives the visual
    features that signal during grounding training. It needs
    ``LoadVGAnnotations(with_category=True)``.

    Reads ``feats[in_key]``: (N, H*W, C) tokens with ``feats['hw_shape']``
    (VLTVG's encoder output), or an (N, C, H, W) map (SimREC's backbone
    levels).

    Args:
        in_channels (int): Channels of the visual features.
        num_classes (int): Number of category ids, the largest id plus one
            (ids are the dataset's own, e.g. 91 for COCO's 1-90).
        loss_weight (float): The weight of the loss. Defaults to 1.0.
        in_key (str): The entry of the feature dict to classify. Defaults
            to 'img_feats'.
        init_cfg (dict, optional): The initialization config.
    """

    predicts = False
    learns_no_target = True

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_weight: float = 1.0,
                 in_key: str = 'img_feats',
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.in_key = in_key
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor]:
        """Score every position.

        Returns:
            tuple[Tensor]: (N, K, H, W) category logits.
        """
        feat = feats[self.in_key]
        if feat.dim() == 4:
            h, w = feat.shape[-2:]
            feat = feat.flatten(2).transpose(1, 2)
        else:
            h, w = feats['hw_shape']
        logits = self.classifier(feat)  # (N, HW, K)
        return (logits.transpose(1, 2).unflatten(2, (h, w)), )

    def loss_by_feat(self, cls_logits: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Cross-entropy over the cells under the gt boxes.

        Args:
            cls_logits (Tensor): (N, K, H, W) category logits.
            batch_gt_instances (list[InstanceData]): ``bboxes`` and
                ``labels`` (the category ids).
            batch_img_metas (list[dict]): Metainfo.

        Returns:
            dict[str, Tensor]: ``loss_cls`` (0 when no sample has a
            target).
        """
        name = type(self).__name__
        h, w = cls_logits.shape[-2:]
        logits, targets = [], []
        for logit, gt, meta in zip(cls_logits, batch_gt_instances,
                                   batch_img_metas):
            boxes = torch.as_tensor(
                gt_field(gt, meta, 'bboxes', name),
                dtype=torch.float32,
                device=logit.device).reshape(-1, 4)
            if len(boxes) == 0:
                continue
            labels = check_categories(
                torch.as_tensor(
                    gt_field(gt, meta, 'labels', name),
                    device=logit.device).long(), self.num_classes)
            pad_h, pad_w = meta['batch_input_shape']
            cells = box_cell_targets(
                boxes / boxes.new_tensor([pad_w, pad_h, pad_w, pad_h]), (h, w))
            target = labels.new_full((h * w, ), -1)
            for covered, label in zip(cells, labels):
                target[covered] = label
            keep = target >= 0
            logits.append(logit.flatten(1).t()[keep])
            targets.append(target[keep])
        if not logits:
            return dict(loss_cls=cls_logits.sum() * 0)
        return dict(loss_cls=self.loss_weight *
                    F.cross_entropy(torch.cat(logits), torch.cat(targets)))
