# Copyright (c) mmvg contributors. All rights reserved.
"""What SimVG's and ALVG's heads share: DETR-like heads on BEiT-3 features
whose queries are generated from the expression."""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.layers import MLP, SinePositionalEncoding
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.utils import reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.models.layers import (TextGuidedQueryGenerator, pool_text,
                                text_sine_position)
from mmvg.registry import MODELS, TASK_UTILS
from ..utils import boxes_to_original
from .base_vg_head import BaseVGHead, gt_field

#: One layer's Hungarian matches: per sample (query ids, gt ids).
Matches = List[Tuple[Tensor, Tensor]]


class TextGuidedDETRHead(BaseVGHead):
    """The base of SimVG's and ALVG's heads.

    BEiT-3's patch and word features are projected to ``embed_dims``; the
    patches get 2-D sine positions and the words 1-D ones; a text-guided
    query generator turns learnt embeddings and the words into query
    positions. A 2-way (object, no-object) classifier and a box MLP read
    the decoder's queries (``cls_branch``, ``reg_branch``), and a second
    pair reads the class-token branch (``cls_token_branch``,
    ``reg_token_branch``: trained by SimVG, checkpoint-only in ALVG).

    Training matches each decoder layer's queries to the gt boxes
    (Hungarian: class 1, L1 5, GIoU 2) and applies softmax cross-entropy
    with no-object weight 0.1, L1 and GIoU, averaged over the gt boxes of
    the batch, as the official ``SetCriterion``. A no-target sample
    (gRefCOCO) has no gt box: all its queries learn no-object.

    Reads ``img_feats`` (N, C, h, w), ``img_mask`` (N, h, w) True on
    padding, ``text_feats`` (N, L, C) and ``text_mask`` (N, L) True on
    padding.

    Args:
        in_channels (int): Channels of the BEiT-3 features. Defaults to
            768 (ViT-B).
        embed_dims (int): Head channels. Defaults to 256.
        num_queries (int): Queries: 1 for REC, 10 for gRefCOCO. Defaults
            to 1.
        query_generator (dict): :class:`TextGuidedQueryGenerator`
            arguments besides ``num_queries`` and ``embed_dims``.
        score_thr (float, optional): None predicts the best query (REC:
            one referred object); a number keeps every query scoring at
            least that, best first, possibly none (gRefCOCO). Defaults to
            None.
        text_pos_int_freq (bool): Integer-cast text position frequencies
            (:func:`text_sine_position`). Defaults to True (the official
            checkpoints were trained so).
        text_pool_quirk (bool): Pool the text the official way
            (:func:`pool_text`). Defaults to True (trained so).
        loss_cls (dict): Softmax cross-entropy with the no-object weight.
        loss_bbox (dict): L1 on normalised cxcywh boxes.
        loss_iou (dict): GIoU loss.
        assigner (dict): The Hungarian assigner and its costs.
        init_cfg (dict, optional): The initialization config.
    """

    learns_no_target = True

    def __init__(self,
                 in_channels: int = 768,
                 embed_dims: int = 256,
                 num_queries: int = 1,
                 query_generator: dict = dict(),
                 score_thr: Optional[float] = None,
                 text_pos_int_freq: bool = True,
                 text_pool_quirk: bool = True,
                 loss_cls: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     class_weight=[1.0, 0.1],
                     loss_weight=1.0),
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=5.0),
                 loss_iou: dict = dict(type='GIoULoss', loss_weight=2.0),
                 assigner: dict = dict(
                     type='HungarianAssigner',
                     match_costs=[
                         dict(type='ClassificationCost', weight=1.0),
                         dict(
                             type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                         dict(type='IoUCost', iou_mode='giou', weight=2.0)
                     ]),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_queries = num_queries
        self.score_thr = score_thr
        self.text_pos_int_freq = text_pos_int_freq
        self.text_pool_quirk = text_pool_quirk

        self.input_proj = nn.Conv2d(in_channels, embed_dims, 1)
        self.input_text_proj = nn.Linear(in_channels, embed_dims)
        self.positional_encoding = SinePositionalEncoding(
            num_feats=embed_dims // 2, normalize=True)
        self.query_generator = TextGuidedQueryGenerator(
            num_queries=num_queries, embed_dims=embed_dims, **query_generator)
        self.cls_branch = nn.Linear(embed_dims, 2)
        self.reg_branch = MLP(embed_dims, embed_dims, 4, 3)
        self.cls_token_branch = nn.Linear(embed_dims, 2)
        self.reg_token_branch = MLP(embed_dims, embed_dims, 4, 3)

        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        self.assigner = TASK_UTILS.build(assigner)

    def embed_inputs(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Project the features and generate the query positions.

        Returns:
            dict[str, Tensor]: ``img`` (N, C, h, w), ``img_pos`` (N, hw,
            C), ``img_mask`` (N, hw) True on padding, ``text`` (N, L, C),
            ``text_mask`` (N, L), ``pooled`` (N, C), the max-pooled text,
            and ``query_pos`` (N, Q, C).
        """
        img = self.input_proj(feats['img_feats'])
        img_mask = feats['img_mask']
        batch, channels = img.shape[:2]
        # The sine encoding is float32; under fp16/bf16 it must follow.
        img_pos = self.positional_encoding(img_mask).to(img.dtype)
        text = self.input_text_proj(feats['text_feats'])
        text_mask = feats['text_mask']
        text_pos = text_sine_position(
            text.size(1), channels,
            self.text_pos_int_freq).to(text)[None].expand(batch, -1, -1)
        pooled = pool_text(text, text_mask, self.text_pool_quirk)
        return dict(
            img=img,
            img_pos=img_pos.flatten(2).transpose(1, 2),
            img_mask=img_mask.flatten(1),
            text=text,
            text_mask=text_mask,
            pooled=pooled,
            query_pos=self.query_generator(text, text_pos, text_mask, pooled))

    def normalized_gt_boxes(
            self, batch_gt_instances: List[InstanceData],
            batch_img_metas: List[dict],
            device: torch.device) -> Tuple[List[Tensor], float]:
        """Per sample (K, 4) xyxy gt boxes divided by the padded input
        size (K = 0 for a no-target sample), and their number averaged over
        the ranks (at least 1)."""
        name = type(self).__name__
        pad_h, pad_w = batch_img_metas[0]['batch_input_shape']
        factor = torch.tensor([pad_w, pad_h, pad_w, pad_h],
                              dtype=torch.float32,
                              device=device)
        gt_boxes = [
            torch.as_tensor(
                gt_field(gt, meta, 'bboxes', name),
                dtype=torch.float32,
                device=device).reshape(-1, 4) / factor
            for gt, meta in zip(batch_gt_instances, batch_img_metas)
        ]
        return gt_boxes, self.mean_count(sum(len(b) for b in gt_boxes), device)

    @staticmethod
    def mean_count(count: int, device: torch.device) -> float:
        """A count averaged over the ranks, at least 1 (the official
        criterion's ``num_boxes``)."""
        return reduce_mean(torch.tensor(float(count),
                                        device=device)).clamp(min=1).item()

    def match(self, cls_scores: Tensor, bbox_preds: Tensor,
              gt_boxes: List[Tensor]) -> Matches:
        """Hungarian matches of (N, Q) queries to each sample's boxes."""
        matches = []
        for scores, boxes, gt in zip(cls_scores, bbox_preds, gt_boxes):
            if len(boxes) == 1 and len(gt) == 1:
                # One query, one box: the only assignment (REC).
                only = torch.zeros(1, dtype=torch.long, device=gt.device)
                matches.append((only, only))
                continue
            result = self.assigner.assign(
                InstanceData(
                    scores=scores.detach(),
                    bboxes=bbox_cxcywh_to_xyxy(boxes.detach())),
                InstanceData(
                    bboxes=gt, labels=gt.new_zeros(len(gt), dtype=torch.long)),
                img_meta=dict(img_shape=(1, 1)))
            query_ids = torch.nonzero(result.gt_inds > 0)[:, 0]
            matches.append((query_ids, result.gt_inds[query_ids] - 1))
        return matches

    def set_losses(self, cls_scores: Tensor, bbox_preds: Tensor,
                   gt_boxes: List[Tensor],
                   num_boxes: float) -> Tuple[Matches, Dict[str, Tensor]]:
        """Match one layer's (N, Q) queries and compute its losses.

        Returns:
            tuple: The matches and ``loss_cls``, ``loss_bbox``,
            ``loss_iou``.
        """
        matches = self.match(cls_scores, bbox_preds, gt_boxes)
        labels = torch.ones(
            cls_scores.shape[:2], dtype=torch.long, device=cls_scores.device)
        for i, (query_ids, _) in enumerate(matches):
            labels[i, query_ids] = 0
        class_weight = cls_scores.new_tensor(self.loss_cls.class_weight)
        loss_cls = self.loss_cls(
            cls_scores.flatten(0, 1),
            labels.flatten(),
            avg_factor=class_weight[labels].sum())
        pred = torch.cat([b[q] for b, (q, _) in zip(bbox_preds, matches)])
        target = torch.cat([gt[g] for gt, (_, g) in zip(gt_boxes, matches)])
        target = bbox_xyxy_to_cxcywh(target)
        loss_bbox = self.loss_bbox(pred, target, avg_factor=num_boxes)
        loss_iou = self.loss_iou(
            bbox_cxcywh_to_xyxy(pred),
            bbox_cxcywh_to_xyxy(target),
            avg_factor=num_boxes)
        return matches, dict(
            loss_cls=loss_cls, loss_bbox=loss_bbox, loss_iou=loss_iou)

    def decoder_losses(self, cls_scores: Tensor, bbox_preds: Tensor,
                       gt_boxes: List[Tensor],
                       num_boxes: float) -> Tuple[Matches, Dict[str, Tensor]]:
        """:meth:`set_losses` of every decoder layer of (S, N, Q, ...)
        outputs: the last layer's unprefixed, the earlier ones as
        ``d{i}.``. Returns the last layer's matches and the losses."""
        losses, num_layers = {}, len(cls_scores)
        for layer in range(num_layers):
            prefix = '' if layer == num_layers - 1 else f'd{layer}.'
            matches, layer_losses = self.set_losses(cls_scores[layer],
                                                    bbox_preds[layer],
                                                    gt_boxes, num_boxes)
            for key, value in layer_losses.items():
                losses[prefix + key] = value
        return matches, losses

    def box_results(self, cls_scores: Tensor, bbox_preds: Tensor,
                    batch_img_metas: List[dict],
                    rescale: bool) -> List[InstanceData]:
        """Per sample the kept queries' boxes from (N, Q, 2) logits and
        (N, Q, 4) normalised cxcywh boxes.

        Returns:
            list[InstanceData]: ``bboxes`` (K, 4) xyxy, ``scores`` (K, ),
            the object probability, ``labels`` (K, ) zeros. K is 1, or with
            ``score_thr`` the number of queries passing it.
        """
        probs = cls_scores.softmax(dim=-1)[..., 0]
        results = []
        for i, meta in enumerate(batch_img_metas):
            if self.score_thr is None:
                keep = probs[i].argmax()[None]
            else:
                keep = torch.nonzero(probs[i] >= self.score_thr)[:, 0]
                keep = keep[probs[i, keep].argsort(descending=True)]
            pad_h, pad_w = meta['batch_input_shape']
            boxes = bbox_cxcywh_to_xyxy(bbox_preds[i, keep]) * (
                bbox_preds.new_tensor([pad_w, pad_h, pad_w, pad_h]))
            result = InstanceData()
            result.bboxes = (
                boxes_to_original(boxes, meta) if rescale else boxes)
            result.scores = probs[i, keep]
            result.labels = keep.new_zeros(len(keep))
            results.append(result)
        return results
