# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS
from .base_vg_head import BaseVGHead, gt_categories
from .region_rank_head import regions_on_target


@MODELS.register_module()
class RegionCategoryHead(BaseVGHead):
    """Classify the regions on the referred object by its category (a
    training-only auxiliary head for region-ranking models).

    A linear classifier scores every region's visual feature; the
    cross-entropy is taken over the regions whose IoU with the gt box
    exceeds ``pos_iou_thr`` and averaged over them (a batch without such a
    region adds 0).

    VL-BERT's visual features come from a detection-trained ResNet and its
    pre-training classifies masked regions. Trained from scratch on the
    synthetic shapes, its ranking loss alone left the region features
    without shape cues (the quick start's README); this head, the region
    counterpart of ``CellCategoryHead``, gives them that signal. It needs
    ``LoadVGAnnotations(with_category=True)``.

    Reads ``feats[in_key]`` (B, N, C), ``region_boxes`` and
    ``region_mask``.

    Args:
        in_channels (int): Channels of the region features.
        num_classes (int): Number of category ids, the largest id plus one.
        pos_iou_thr (float): A region on the target has a larger IoU.
            Defaults to 0.5.
        loss_weight (float): The weight of the loss. Defaults to 1.0.
        in_key (str): The region features to classify, e.g. VL-BERT's
            ``'roi_feats'`` (appearance) or ``'region_visual_feats'`` (with
            the box embedding). Defaults to 'roi_feats'.
        init_cfg (dict, optional): The initialization config.
    """

    predicts = False

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 pos_iou_thr: float = 0.5,
                 loss_weight: float = 1.0,
                 in_key: str = 'roi_feats',
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_key = in_key
        self.num_classes = num_classes
        self.pos_iou_thr = pos_iou_thr
        self.loss_weight = loss_weight
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor, ...]:
        """Score every region.

        Returns:
            tuple: (B, N, K) category logits, with ``region_boxes`` and
            ``region_mask`` passed through.
        """
        return (self.classifier(feats[self.in_key]), feats['region_boxes'],
                feats['region_mask'])

    def loss_by_feat(self, cls_logits: Tensor, region_boxes: Tensor,
                     region_mask: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Cross-entropy over the regions on the referred object."""
        name = type(self).__name__
        labels = gt_categories(batch_gt_instances, batch_img_metas,
                               self.num_classes, name).to(cls_logits.device)
        on_target = region_mask.clone()
        for i, (gt,
                meta) in enumerate(zip(batch_gt_instances, batch_img_metas)):
            on_target[i] &= regions_on_target(region_boxes[i].float(), gt,
                                              meta, self.pos_iou_thr, 0, name)
        if not on_target.any():
            return dict(loss_cls=cls_logits.sum() * 0)
        targets = labels[:, None].expand_as(on_target)[on_target]
        return dict(loss_cls=self.loss_weight *
                    F.cross_entropy(cls_logits[on_target].float(), targets))
