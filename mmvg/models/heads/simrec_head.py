# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch
from mmcv.cnn import ConvModule
from mmdet.models.task_modules.prior_generators import MlvlPointGenerator
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS, TASK_UTILS
from ..utils import boxes_to_original
from .base_vg_head import BaseVGHead, require_gt


@MODELS.register_module()
class SimRECHead(BaseVGHead):
    """SimREC's box head: YOLOX's anchor-free head on one level, with
    objectness and box branches and no class branch.

    A 1x1 stem and two 3x3 convs (conv, BatchNorm, SiLU) feed a 1x1 box
    regressor and a 1x1 objectness classifier. Cell (i, j) predicts the
    box centre ``(j + dx, i + dy) * stride`` and size
    ``exp(dw, dh) * stride`` in input pixels.

    Training assigns cells to the first gt box with SimOTA without a
    class cost (mmdet's ``SimOTAAssigner`` with ``cls_weight=0``: it
    differs from the official code only in the eps of the IoU cost, which
    keeps the order of the candidates; checked equal on 5,000 random
    cases). The loss is ``5 * sum(1 - IoU^2)`` over the positive cells
    plus the objectness BCE summed over all cells, both divided by the
    batch's number of positives (at least 1, not reduced across ranks),
    as officially. Prediction takes the cell of highest objectness.

    Reads ``feats['top']``: (B, in_channels, H/stride, W/stride).
    Sub-module names are the official ``REChead``'s (``stems``,
    ``reg_convs``, ``reg_preds``, ``obj_preds``, each one level); the
    official ``cls_convs``/``cls_preds`` are empty and hold no keys.

    Args:
        in_channels (int): Input channels. Defaults to 512.
        feat_channels (int): Channels of the stem and the convs. Defaults
            to 256.
        stride (int): The input map's stride. Defaults to 32.
        norm_cfg (dict): Normalisation of the convs. Defaults to BN.
        act_cfg (dict): Activation of the convs. Defaults to SiLU.
        assigner (dict): The cell assigner.
        loss_bbox (dict): The box loss on xyxy boxes, summed.
        loss_obj (dict): The objectness loss, summed.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 in_channels: int = 512,
                 feat_channels: int = 256,
                 stride: int = 32,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='SiLU'),
                 assigner: dict = dict(
                     type='SimOTAAssigner',
                     center_radius=2.5,
                     candidate_topk=10,
                     iou_weight=3.0,
                     cls_weight=0.0),
                 loss_bbox: dict = dict(
                     type='IoULoss',
                     mode='square',
                     eps=1e-16,
                     reduction='sum',
                     loss_weight=5.0),
                 loss_obj: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=True,
                     reduction='sum',
                     loss_weight=1.0),
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)

        def conv(in_planes: int, kernel_size: int) -> ConvModule:
            return ConvModule(
                in_planes,
                feat_channels,
                kernel_size,
                padding=kernel_size // 2,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

        self.stems = nn.ModuleList([conv(in_channels, 1)])
        self.reg_convs = nn.ModuleList(
            [nn.Sequential(conv(feat_channels, 3), conv(feat_channels, 3))])
        self.reg_preds = nn.ModuleList([nn.Conv2d(feat_channels, 4, 1)])
        self.obj_preds = nn.ModuleList([nn.Conv2d(feat_channels, 1, 1)])
        self.prior_generator = MlvlPointGenerator([stride], offset=0)
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_obj = MODELS.build(loss_obj)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """Raw box deltas and objectness logits.

        Returns:
            tuple[Tensor]: (B, 4, h, w) deltas (dx, dy, log dw, log dh) and
            (B, 1, h, w) objectness logits.
        """
        x = self.reg_convs[0](self.stems[0](feats['top']))
        return self.reg_preds[0](x), self.obj_preds[0](x)

    def _decode(self, bbox_preds: Tensor) -> Tuple[Tensor, Tensor]:
        """The cells' priors (h*w, 4): (x, y, stride, stride) of each
        cell's top-left corner, row-major; and the boxes (B, h*w, 4),
        xyxy input pixels."""
        priors = self.prior_generator.single_level_grid_priors(
            bbox_preds.shape[-2:],
            0,
            dtype=bbox_preds.dtype,
            device=bbox_preds.device,
            with_stride=True)
        deltas = bbox_preds.flatten(2).transpose(1, 2)
        centres = deltas[..., :2] * priors[:, 2:] + priors[:, :2]
        sizes = deltas[..., 2:].exp() * priors[:, 2:]
        return priors, bbox_cxcywh_to_xyxy(torch.cat([centres, sizes], -1))

    @torch.no_grad()
    def assign(self, priors: Tensor, boxes: Tensor, obj_logits: Tensor,
               gt_boxes: Tensor) -> Tensor:
        """SimOTA for one sample.

        Args:
            priors (Tensor): (h*w, 4) from :meth:`_decode`.
            boxes (Tensor): (h*w, 4) predicted xyxy boxes.
            obj_logits (Tensor): (h*w, ) objectness logits (the assigner
                sees them, its class cost is weighted 0).
            gt_boxes (Tensor): (K, 4) xyxy gt boxes.

        Returns:
            Tensor: (h*w, ) long: 0 for a negative cell, k + 1 for a cell
            assigned to gt box k.
        """
        cell_centres = torch.cat(
            [priors[:, :2] + priors[:, 2:] / 2, priors[:, 2:]], 1)
        pred = InstanceData(
            priors=cell_centres,
            bboxes=boxes,
            scores=obj_logits.sigmoid()[:, None])
        gt = InstanceData(
            bboxes=gt_boxes,
            labels=gt_boxes.new_zeros(len(gt_boxes), dtype=torch.long))
        return self.assigner.assign(pred, gt).gt_inds

    def loss_by_feat(self, bbox_preds: Tensor, objectness: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """SimOTA-assigned IoU and objectness losses.

        Args:
            bbox_preds (Tensor): (B, 4, h, w) deltas.
            objectness (Tensor): (B, 1, h, w) logits.
            batch_gt_instances (list[InstanceData]): ``bboxes`` (xyxy,
                input pixels); the first box of each sample is the target.
            batch_img_metas (list[dict]): Metainfo.

        Returns:
            dict[str, Tensor]: ``loss_bbox`` and ``loss_obj``.
        """
        priors, boxes = self._decode(bbox_preds)
        obj_logits = objectness.flatten(1)
        pos_masks, targets = [], []
        for sample_boxes, sample_obj, gt, meta in zip(boxes, obj_logits,
                                                      batch_gt_instances,
                                                      batch_img_metas):
            gt_boxes = torch.as_tensor(
                require_gt(gt, meta, 'bboxes',
                           type(self).__name__)[:1],
                dtype=boxes.dtype,
                device=boxes.device)
            gt_inds = self.assign(priors, sample_boxes.detach(),
                                  sample_obj.detach(), gt_boxes)
            pos_masks.append(gt_inds > 0)
            targets.append(gt_boxes[gt_inds[gt_inds > 0] - 1])
        pos_masks = torch.stack(pos_masks)
        num_pos = max(int(pos_masks.sum()), 1)
        loss_bbox = self.loss_bbox(boxes[pos_masks], torch.cat(targets))
        loss_obj = self.loss_obj(
            obj_logits.reshape(-1, 1),
            pos_masks.reshape(-1, 1).to(obj_logits.dtype))
        return dict(loss_bbox=loss_bbox / num_pos, loss_obj=loss_obj / num_pos)

    def predict_by_feat(self,
                        bbox_preds: Tensor,
                        objectness: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """The box of the cell with the highest objectness.

        Args:
            bbox_preds (Tensor): (B, 4, h, w) deltas.
            objectness (Tensor): (B, 1, h, w) logits.
            batch_img_metas (list[dict]): Metainfo.
            rescale (bool): Original image pixels (True) or input pixels.

        Returns:
            list[InstanceData]: Per sample ``bboxes`` (1, 4) xyxy,
            ``scores`` (1, ) sigmoid objectness and ``labels`` (1, ) zeros.
        """
        _, boxes = self._decode(bbox_preds)
        scores = objectness.flatten(1).sigmoid()
        best = scores.argmax(1)
        results = []
        for i, meta in enumerate(batch_img_metas):
            box = boxes[i, best[i]][None]
            result = InstanceData()
            result.bboxes = boxes_to_original(box, meta) if rescale else box
            result.scores = scores[i, best[i]][None]
            result.labels = best.new_zeros(1)
            results.append(result)
        return results
