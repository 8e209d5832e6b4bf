# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch
from mmcv.ops import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS
from ..utils import boxes_to_original
from .base_vg_head import BaseVGHead, require_gt


@MODELS.register_module()
class RegionRankHead(BaseVGHead):
    """Score every region proposal against the expression; predict the
    best one (VL-BERT's ``final_mlp``).

    A region is a positive when its IoU with the referred box exceeds
    ``pos_iou_thr``; every region (the whole-image box too) takes a binary
    cross-entropy, averaged over the regions of the batch. The prediction
    is the region with the highest score, so the whole-image box can win.

    Reads ``region_feats`` (B, N, C), ``region_boxes`` (B, N, 4) xyxy in
    input pixels and ``region_mask`` (B, N) bool, True on regions.

    Args:
        in_channels (int): Channels of the region features. Defaults to 768.
        dropout (float): Dropout before the scoring layer. Defaults to 0.
        pos_iou_thr (float): A region is a positive above this IoU with the
            referred box (strictly, as the official labels). Defaults to
            0.5.
        legacy_plus_one (bool): Count box sides as ``x2 - x1 + 1`` in that
            IoU, as the official labels do. Defaults to False.
        loss_cls (dict): The binary loss. Defaults to mmdet's sigmoid
            ``CrossEntropyLoss``.
        init_cfg (dict, optional): Defaults to Xavier-uniform weights and
            zero biases on the linear layers, as the official head.
    """

    def __init__(
        self,
        in_channels: int = 768,
        dropout: float = 0.,
        pos_iou_thr: float = 0.5,
        legacy_plus_one: bool = False,
        loss_cls: dict = dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True),
        init_cfg: dict = dict(
            type='Xavier', layer='Linear', distribution='uniform')
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        # Indices 0 and 2 as the official ``final_mlp`` (dense, GELU) ->
        # dropout -> score, so checkpoints convert by prefix.
        self.final_mlp = nn.Sequential(
            RegionTransform(in_channels), nn.Dropout(dropout),
            nn.Linear(in_channels, 1))
        self.pos_iou_thr = pos_iou_thr
        self.iou_offset = 1 if legacy_plus_one else 0
        self.loss_cls = MODELS.build(loss_cls)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor, ...]:
        """Score the regions.

        Returns:
            tuple: ``logits`` (B, N), with ``region_boxes`` and
            ``region_mask`` passed through for the loss and prediction.
        """
        logits = self.final_mlp(feats['region_feats'])[..., 0]
        return logits, feats['region_boxes'], feats['region_mask']

    def region_labels(self, boxes: Tensor, gt_instances: InstanceData,
                      img_meta: dict) -> Tensor:
        """1 on the regions that overlap the first gt box by more than
        ``pos_iou_thr``, else 0; (N, ) float."""
        return regions_on_target(boxes, gt_instances, img_meta,
                                 self.pos_iou_thr, self.iou_offset,
                                 type(self).__name__).to(boxes.dtype)

    def loss_by_feat(self, logits: Tensor, region_boxes: Tensor,
                     region_mask: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Binary cross-entropy over every region of the batch."""
        labels = torch.stack([
            self.region_labels(boxes, gt, meta) for boxes, gt, meta in zip(
                region_boxes.float(), batch_gt_instances, batch_img_metas)
        ])
        return dict(
            loss_cls=self.loss_cls(logits[region_mask].float(),
                                   labels[region_mask]))

    def predict_by_feat(self,
                        logits: Tensor,
                        region_boxes: Tensor,
                        region_mask: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """The best-scoring region of every sample, with its sigmoid
        score."""
        logits = logits.float().masked_fill(~region_mask, float('-inf'))
        scores, best = logits.max(dim=1)
        results = []
        for i, meta in enumerate(batch_img_metas):
            bboxes = region_boxes[i, best[i]][None].float()
            if rescale:
                bboxes = boxes_to_original(bboxes, meta)
            results.append(
                InstanceData(bboxes=bboxes, scores=scores[i:i + 1].sigmoid()))
        return results


def regions_on_target(boxes: Tensor,
                      gt_instances: InstanceData,
                      img_meta: dict,
                      iou_thr: float,
                      offset: int = 0,
                      head: str = 'RegionRankHead') -> Tensor:
    """Which regions overlap the sample's first gt box by more than
    ``iou_thr``.

    Args:
        boxes (Tensor): (N, 4) xyxy regions in input pixels.
        gt_instances (InstanceData): The sample's ``bboxes``.
        img_meta (dict): Metainfo, for the error of a sample without one.
        iou_thr (float): The IoU a region must exceed.
        offset (int): 1 counts box sides as ``x2 - x1 + 1``.
        head (str): The head that needs them, for error messages.

    Returns:
        Tensor: (N, ) bool.
    """
    gt = torch.as_tensor(
        require_gt(gt_instances, img_meta, 'bboxes', head),
        dtype=boxes.dtype,
        device=boxes.device)[:1]
    return bbox_overlaps(boxes, gt, offset=offset)[:, 0] > iou_thr


class RegionTransform(nn.Module):
    """Linear + GELU, the official ``VisualLinguisticBertMVRCHeadTransform``
    (no LayerNorm), whose weights come from VL-BERT's pre-training."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.dense = nn.Linear(channels, channels)
        self.act = nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.dense(x))
