# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS
from ..utils import boxes_to_original
from .base_vg_head import BaseVGHead, first_gt_boxes


@MODELS.register_module()
class VLTVGHead(BaseVGHead):
    """Box regression head of VLTVG, applied to every decoder stage.

    An MLP maps each query to a normalised (cx, cy, w, h) box, relative to
    the padded batch input (``batch_input_shape``). Every stage is trained
    with L1 (on cxcywh) and GIoU (on xyxy) losses, averaged over the boxes;
    the last stage predicts.

    Reads ``feats['queries']``: (S, N, Q, C), the object queries of S
    decoder stages.

    Args:
        embed_dims (int): Query channels. Defaults to 256.
        num_reg_fcs (int): Linear layers of the MLP, the output layer
            included. Defaults to 3.
        loss_bbox (dict): The L1 loss. Defaults to mmdet's ``L1Loss`` with
            weight 5.
        loss_iou (dict): The IoU loss. Defaults to mmdet's ``GIoULoss``
            with weight 2.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_reg_fcs: int = 3,
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=5.0),
                 loss_iou: dict = dict(type='GIoULoss', loss_weight=2.0),
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        dims = [embed_dims] * num_reg_fcs + [4]
        self.reg_layers = nn.ModuleList(
            nn.Linear(d_in, d_out) for d_in, d_out in zip(dims, dims[1:]))
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor]:
        """Regress the boxes of every stage.

        Returns:
            tuple[Tensor]: (S, N, Q, 4) normalised cxcywh boxes.
        """
        x = feats['queries']
        for i, layer in enumerate(self.reg_layers):
            x = layer(x)
            if i < len(self.reg_layers) - 1:
                x = F.relu(x)
        return (x.sigmoid(), )

    def loss_by_feat(self, all_stage_boxes: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """L1 and GIoU losses of every stage against the first gt box.

        Args:
            all_stage_boxes (Tensor): (S, N, Q, 4) normalised cxcywh boxes.
            batch_gt_instances (list[InstanceData]): ``bboxes`` (xyxy,
                input pixels).
            batch_img_metas (list[dict]): Metainfo.

        Returns:
            dict[str, Tensor]: ``loss_bbox``/``loss_iou`` of the last stage,
            ``d{i}.loss_bbox``/``d{i}.loss_iou`` of the earlier ones.
        """
        num_stages, batch, num_queries, _ = all_stage_boxes.shape
        targets = bbox_xyxy_to_cxcywh(
            first_gt_boxes(batch_gt_instances, batch_img_metas,
                           type(self).__name__)).to(all_stage_boxes.device)
        targets = targets[:, None].expand(-1, num_queries, -1).reshape(-1, 4)
        num_boxes = batch * num_queries
        losses = {}
        for stage, boxes in enumerate(all_stage_boxes):
            boxes = boxes.reshape(-1, 4)
            prefix = '' if stage == num_stages - 1 else f'd{stage}.'
            losses[f'{prefix}loss_bbox'] = self.loss_bbox(
                boxes, targets, avg_factor=num_boxes)
            losses[f'{prefix}loss_iou'] = self.loss_iou(
                bbox_cxcywh_to_xyxy(boxes),
                bbox_cxcywh_to_xyxy(targets),
                avg_factor=num_boxes)
        return losses

    def predict_by_feat(self,
                        all_stage_boxes: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """The last stage's boxes as xyxy pixels.

        Args:
            all_stage_boxes (Tensor): (S, N, Q, 4) normalised cxcywh boxes.
            batch_img_metas (list[dict]): Metainfo.
            rescale (bool): Original image pixels (True) or input pixels.

        Returns:
            list[InstanceData]: Per sample ``bboxes`` (Q, 4), ``scores``
            (Q, ) and ``labels`` (Q, ).
        """
        results = []
        for boxes, meta in zip(all_stage_boxes[-1], batch_img_metas):
            pad_h, pad_w = meta['batch_input_shape']
            boxes = bbox_cxcywh_to_xyxy(boxes) * boxes.new_tensor(
                [pad_w, pad_h, pad_w, pad_h])
            result = InstanceData()
            result.bboxes = (
                boxes_to_original(boxes, meta) if rescale else boxes)
            # One query, one referred object: its score carries no ranking.
            result.scores = boxes.new_ones(len(boxes))
            result.labels = boxes.new_zeros(len(boxes), dtype=torch.long)
            results.append(result)
        return results
