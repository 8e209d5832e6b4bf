# Copyright (c) mmvg contributors. All rights reserved.
"""MCN's head: a YOLOv3 anchor box branch and an ASPP mask branch, trained
together with the consistency energy between their attentions."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures.bbox import (bbox_cxcywh_to_xyxy, bbox_overlaps,
                                   bbox_xyxy_to_cxcywh)
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS
from mmvg.structures import VGSampleList
from ..layers import ASPPDecoder
from ..utils import boxes_to_original, crop_to_image, masks_to_original
from .base_vg_head import BaseVGHead, first_gt_boxes, gt_mask_union

#: Values the box and objectness of each anchor at each cell predict.
NUM_BOX_OUTPUTS = 5


@MODELS.register_module()
class MCNHead(BaseVGHead):
    """The box and mask head of MCN (Luo et al., CVPR 2020) as in the
    SimREC repository.

    Box branch: a 1x1 conv (``dconv``) predicts, for each of the anchors at
    each cell of the stride-``stride`` map ``feats['top']``, YOLOv3's
    ``(tx, ty, tw, th, objectness)``: the centre is ``cell + sigmoid(t)``,
    the size ``anchor * exp(t)``. The best-scoring box is the prediction.

    Mask branch (``sconv``): an :class:`ASPPDecoder` turns the stride-8 map
    ``feats['bottom']`` into one logit map, upsampled x8 (by
    ``mask_stride``) bilinearly with aligned corners
    (``nn.UpsamplingBilinear2d``) to the input size; the mask is
    ``sigmoid > mask_thr``.

    Training, per sample and its (first) gt box: the anchor whose shape
    (both boxes at the origin) has the highest IoU with the gt box, at the
    cell holding the gt centre, is the positive; its ``tx, ty`` are trained
    with BCE towards the centre's offset in the cell and ``tw, th`` with L2
    towards ``log(gt / anchor)``, both weighted by ``2 - w * h`` (normalised
    gt area); objectness with BCE everywhere except at the non-positive
    boxes whose IoU with the gt box exceeds ``ignore_thr``. The mask is
    trained with BCE against the union of the gt masks and the two GARAN
    attentions with the consistency energy (:meth:`loss_cem`).

    Reads ``feats['top']`` (B, C, H/32, W/32) and ``feats['bottom']``
    (B, C, H/8, W/8) (the strides are arguments); for the loss also
    ``feats['det_attn']`` and ``feats['seg_attn']``. The input must be
    padded to a multiple of ``stride`` so that the upsampled mask covers
    it.

    Args:
        in_channels (int): Channels of both input maps. Defaults to 512.
        hidden_channels (int): Twice the channels of each ASPP branch
            (the official ``hidden_size``). Defaults to 512.
        anchors (Sequence[Sequence[float]]): (w, h) of the anchors in input
            pixels. Defaults to MCN's, for a 416 input.
        stride (int): Stride of ``feats['top']``. Defaults to 32.
        mask_stride (int): Stride of ``feats['bottom']``, by which the mask
            logits are upsampled. Defaults to 8.
        ignore_thr (float): IoU with the gt box above which a box's
            objectness is not trained. Defaults to 0.5.
        mask_thr (float): Threshold of the mask probability. Defaults to
            0.35.
        nls (str, optional): Non-located suppression of the mask by the
            predicted box, from the MCN paper: ``'adaptive'`` (ASNLS)
            multiplies the mask probabilities inside the box by
            ``a * score + b`` of ``nls_inside`` and outside by those of
            ``nls_outside``; ``'hard'`` zeroes them outside the box. The
            official head defines it but its evaluation never calls it, so
            it is off by default (None).
        nls_inside (tuple[float, float]): ``(a, b)`` inside the box.
            Defaults to the official (-1, 2): ``2 - score``, a boost.
        nls_outside (tuple[float, float]): ``(a, b)`` outside the box.
            Defaults to the official (1, 0): ``score``, a damping.
        seg_loss_norm (float): The mask BCE is summed over the pixels and
            divided by ``seg_loss_norm * batch size``. Defaults to the
            official 640.
        loss_xy (dict): Centre loss. Defaults to BCE (on logits).
        loss_wh (dict): Size loss. Defaults to L2 with the official 1/2.
        loss_obj (dict): Objectness loss. Defaults to BCE (on logits).
        loss_seg (dict): Mask loss. Defaults to BCE (on logits).
        loss_cem_weight (float): Weight of the consistency energy.
            Defaults to 1.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's defaults, as the official head).
    """

    def __init__(self,
                 in_channels: int = 512,
                 hidden_channels: int = 512,
                 anchors: Sequence[Sequence[float]] = ((137, 256), (248, 272),
                                                       (386, 271)),
                 stride: int = 32,
                 mask_stride: int = 8,
                 ignore_thr: float = 0.5,
                 mask_thr: float = 0.35,
                 nls: Optional[str] = None,
                 nls_inside: Tuple[float, float] = (-1., 2.),
                 nls_outside: Tuple[float, float] = (1., 0.),
                 seg_loss_norm: float = 640.,
                 loss_xy: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=True),
                 loss_wh: dict = dict(type='MSELoss', loss_weight=0.5),
                 loss_obj: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=True),
                 loss_seg: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=True),
                 loss_cem_weight: float = 1.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if nls not in (None, 'adaptive', 'hard'):
            raise ValueError("MCNHead: nls must be None, 'adaptive' or "
                             f"'hard', not {nls!r}")
        self.stride = stride
        self.ignore_thr = ignore_thr
        self.mask_thr = mask_thr
        self.nls = nls
        self.nls_inside = tuple(nls_inside)
        self.nls_outside = tuple(nls_outside)
        self.seg_loss_norm = seg_loss_norm
        self.loss_cem_weight = loss_cem_weight
        # Anchor sizes in cells of the stride-`stride` map.
        self.register_buffer(
            'anchors',
            torch.tensor(anchors, dtype=torch.float32) / stride,
            persistent=False)
        num_anchors = len(anchors)
        # Official names: s_proj weighs the detection attention and d_proj
        # the segmentation one (see loss_cem).
        self.d_proj = nn.Conv2d(in_channels, 1, 3, padding=1)
        self.s_proj = nn.Conv2d(in_channels, 1, 3, padding=1)
        self.dconv = nn.Conv2d(in_channels, num_anchors * NUM_BOX_OUTPUTS, 1)
        self.sconv = nn.Sequential(
            ASPPDecoder(in_channels, hidden_channels // 2, 1),
            nn.UpsamplingBilinear2d(scale_factor=mask_stride))
        self.loss_xy = MODELS.build(loss_xy)
        self.loss_wh = MODELS.build(loss_wh)
        self.loss_obj = MODELS.build(loss_obj)
        self.loss_seg = MODELS.build(loss_seg)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """Raw box outputs and mask logits.

        Returns:
            tuple[Tensor]: ``box_outs`` (B, A, h, w, 5), per anchor and
            cell ``(tx, ty, tw, th, objectness logit)``; ``mask_logits``
            (B, 1, H, W) over the padded input.
        """
        box_outs = self.dconv(feats['top'])
        batch, _, h, w = box_outs.shape
        box_outs = box_outs.view(batch, -1, NUM_BOX_OUTPUTS, h, w)
        return box_outs.permute(0, 1, 3, 4, 2), self.sconv(feats['bottom'])

    def decode_boxes(self, box_outs: Tensor) -> Tensor:
        """(B, A, h, w, 5) raw outputs -> (B, A, h, w, 4) cxcywh boxes in
        cells."""
        _, _, h, w, _ = box_outs.shape
        ys, xs = torch.meshgrid(
            torch.arange(h, device=box_outs.device),
            torch.arange(w, device=box_outs.device),
            indexing='ij')
        centres = box_outs[..., :2].sigmoid() + torch.stack([xs, ys], -1)
        sizes = box_outs[..., 2:4].exp() * self.anchors[:, None, None]
        return torch.cat([centres, sizes], dim=-1)

    def loss(self, feats: Dict[str, Tensor],
             data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The box and mask losses (:meth:`loss_by_feat`) plus the
        consistency energy of the two attentions, ``loss_cem``."""
        losses = super().loss(feats, data_samples)
        losses['loss_cem'] = self.loss_cem_weight * self.loss_cem(
            feats['det_attn'], feats['seg_attn'])
        return losses

    def loss_cem(self,
                 det_attn: Tensor,
                 seg_attn: Tensor,
                 eps: float = 1e-6) -> Tensor:
        """The consistency energy (the official ``co_energe``).

        Each attention's positions are weighted by a softmax over a 3x3
        conv of it; the energy is the weighted mean over all pairs of
        positions (one from each) of ``(1 + cos) / 2`` of their features,
        and the loss ``-log(energy + eps)``, summed over the batch (not
        averaged: the official reduction). As in the official head, the
        weights come from ``s_proj`` (detection) and ``d_proj``
        (segmentation), not from the GARAN maps ``det_map``/``seg_map``,
        which the official head receives and overwrites.

        Args:
            det_attn (Tensor): (B, C, h, w) of the detection GARAN.
            seg_attn (Tensor): (B, C, h', w') of the segmentation GARAN.

        Returns:
            Tensor: The scalar loss.
        """
        det_weight = self.s_proj(det_attn).flatten(1).softmax(dim=-1)
        seg_weight = self.d_proj(seg_attn).flatten(1).softmax(dim=-1)
        det_feat = F.normalize(det_attn, dim=1).flatten(2)
        seg_feat = F.normalize(seg_attn, dim=1).flatten(2)
        similarity = (torch.bmm(det_feat.transpose(1, 2), seg_feat) + 1) / 2
        energy = torch.einsum('bk,bkl,bl->b', det_weight, similarity,
                              seg_weight)
        return -(energy + eps).log().sum()

    def get_box_targets(self, boxes: Tensor,
                        gt_boxes: Tensor) -> Dict[str, Tensor]:
        """Assign each sample's gt box to one anchor at one cell.

        Args:
            boxes (Tensor): (B, A, h, w, 4) decoded cxcywh boxes in cells,
                for the objectness ignore rule.
            gt_boxes (Tensor): (B, 4) cxcywh gt boxes normalised to the
                padded input.

        Returns:
            dict[str, Tensor]: ``index``, the positive's (batch, anchor,
            row, column) as four (B, ) tensors; ``xy`` and ``wh`` (B, 2),
            its centre and size targets; ``weight`` (B, ), ``2 - w * h``;
            ``objectness`` (B, A, h, w), 1 at the positive;
            ``obj_weight`` (B, A, h, w), 0 where objectness is ignored.
        """
        batch, _, h, w, _ = boxes.shape
        gt_cells = gt_boxes * gt_boxes.new_tensor([w, h, w, h])
        # Anchor shape match: both boxes at the origin.
        gt_wh = gt_cells[:, None, 2:]
        inter = torch.minimum(gt_wh, self.anchors).prod(-1)
        union = gt_wh.prod(-1) + self.anchors.prod(-1) - inter
        anchor = (inter / union).argmax(dim=1)
        cols, rows = gt_cells[:, :2].long().unbind(-1)
        index = (torch.arange(batch, device=boxes.device), anchor, rows, cols)

        ious = bbox_overlaps(
            bbox_cxcywh_to_xyxy(boxes.flatten(1, 3)),
            bbox_cxcywh_to_xyxy(gt_cells)[:, None])
        obj_weight = (ious <= self.ignore_thr).float().view(boxes.shape[:4])
        obj_weight[index] = 1
        objectness = torch.zeros_like(obj_weight)
        objectness[index] = 1
        return dict(
            index=index,
            xy=gt_cells[:, :2] - gt_cells[:, :2].floor(),
            wh=(gt_cells[:, 2:] / self.anchors[anchor] + 1e-16).log(),
            weight=2 - gt_boxes[:, 2] * gt_boxes[:, 3],
            objectness=objectness,
            obj_weight=obj_weight)

    def loss_by_feat(self, box_outs: Tensor, mask_logits: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The box and mask losses, each normalised by the batch size.

        Args:
            box_outs (Tensor): (B, A, h, w, 5) raw box outputs.
            mask_logits (Tensor): (B, 1, H, W) mask logits.
            batch_gt_instances (list[InstanceData]): ``bboxes`` (xyxy) and
                ``masks`` in the input frame.
            batch_img_metas (list[dict]): Metainfo.

        Returns:
            dict[str, Tensor]: ``loss_xy``, ``loss_wh``, ``loss_obj`` (their
            sum is the official ``loss_det``) and ``loss_seg``.
        """
        head = type(self).__name__
        batch = len(box_outs)
        # The official labels are cxcywh normalised and clipped to 0.99,
        # which keeps the centre cell on the map.
        gt_boxes = bbox_xyxy_to_cxcywh(
            first_gt_boxes(batch_gt_instances, batch_img_metas,
                           head)).clamp(0, 0.99).to(box_outs.device)
        targets = self.get_box_targets(
            self.decode_boxes(box_outs.detach()), gt_boxes)
        positives = box_outs[targets['index']]
        weight = targets['weight'][:, None].expand(-1, 2)
        gt_masks = gt_mask_union(batch_gt_instances, batch_img_metas,
                                 mask_logits.shape[-2:], head,
                                 mask_logits.device)
        return dict(
            loss_xy=self.loss_xy(
                positives[:, :2],
                targets['xy'],
                weight=weight,
                avg_factor=batch),
            loss_wh=self.loss_wh(
                positives[:, 2:4],
                targets['wh'],
                weight=weight,
                avg_factor=batch),
            loss_obj=self.loss_obj(
                box_outs[..., 4],
                targets['objectness'],
                weight=targets['obj_weight'],
                avg_factor=batch),
            # The official normalisation: summed BCE / 640 / batch size.
            loss_seg=self.loss_seg(
                mask_logits[:, 0],
                gt_masks.float(),
                avg_factor=self.seg_loss_norm * batch))

    def suppress_unlocated(self, probs: Tensor, box: Tensor,
                           score: Tensor) -> Tensor:
        """Non-located suppression (the official ``nls``) of one mask.

        Args:
            probs (Tensor): (H, W) mask probabilities over the padded input.
            box (Tensor): (4, ) xyxy predicted box in input pixels; its
                truncated corners bound the inside, both ends included.
                Negative corners count as 0 (the official slicing would
                wrap them around).
            score (Tensor): () the box's score.

        Returns:
            Tensor: (H, W) the reweighted probabilities.
        """
        x1, y1, x2, y2 = box.long().clamp(min=0).tolist()
        inside = torch.zeros_like(probs, dtype=torch.bool)
        inside[y1:y2 + 1, x1:x2 + 1] = True
        if self.nls == 'hard':
            return probs * inside
        scale_in = self.nls_inside[0] * score + self.nls_inside[1]
        scale_out = self.nls_outside[0] * score + self.nls_outside[1]
        return probs * torch.where(inside, scale_in, scale_out)

    def predict_by_feat(self,
                        box_outs: Tensor,
                        mask_logits: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """The box of highest objectness and the thresholded mask.

        Args:
            box_outs (Tensor): (B, A, h, w, 5) raw box outputs.
            mask_logits (Tensor): (B, 1, H, W) mask logits.
            batch_img_metas (list[dict]): Metainfo.
            rescale (bool): Original image (True) or input frame.

        Returns:
            list[InstanceData]: Per sample one instance: ``bboxes`` (1, 4)
            xyxy, ``scores`` (1, ) (its objectness probability), ``masks``
            (1, H, W) bool and ``input_masks`` (1, h, w) bool over
            ``img_shape`` in the input frame. The mask probabilities are
            mapped to the original image before the threshold.
        """
        boxes = bbox_cxcywh_to_xyxy(
            self.decode_boxes(box_outs).flatten(1, 3) * self.stride)
        scores = box_outs[..., 4].flatten(1).sigmoid()
        best_scores, best = scores.max(dim=1)
        best_boxes = boxes[torch.arange(len(boxes)), best]
        results = []
        for box, score, logits, meta in zip(best_boxes, best_scores,
                                            mask_logits, batch_img_metas):
            probs = logits.sigmoid()
            if self.nls is not None:
                probs = self.suppress_unlocated(probs[0], box, score)[None]
            result = InstanceData()
            result.bboxes = boxes_to_original(box[None],
                                              meta) if rescale else box[None]
            result.scores = score[None]
            result.input_masks = crop_to_image(probs, meta) > self.mask_thr
            result.masks = (
                masks_to_original(probs, meta) > self.mask_thr
                if rescale else result.input_masks)
            results.append(result)
        return results
