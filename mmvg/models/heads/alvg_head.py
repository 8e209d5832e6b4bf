# Copyright (c) mmvg contributors. All rights reserved.
"""ALVG's DETR-like head on BEiT-3 features."""
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor

from mmvg.models.layers import ALVGDecoder, ALVGMaskHead, ImgEnhance
from mmvg.registry import MODELS
from ..utils import crop_to_image, masks_to_original
from .base_vg_head import gt_field
from .text_guided_detr_head import Matches, TextGuidedDETRHead


@MODELS.register_module()
class ALVGHead(TextGuidedDETRHead):
    """The head of ALVG (Wang et al., NeurIPS 2024; a SimVG descendant).

    On :class:`TextGuidedDETRHead`'s inputs, :class:`ImgEnhance` gates the
    image by its relevance to the max-pooled text; a decoder of zero
    targets attends to the gated image, and every layer's queries go
    through the 2-way classifier and the box MLP. A mask head predicts one
    mask per expression from the gated image. The token branch is in the
    checkpoints but trained by no loss: frozen.

    Training adds to the base's set losses focal and Dice losses on the
    mask against the union of the gt masks (empty for a no-target sample)
    and two attention-supervision losses. They live here rather than in
    an auxiliary head: they read the head's own intermediate maps (the
    enhancement score and each layer's cross-attention) and its last-layer
    Hungarian matching, none of which is a grounder feature.

    - ``loss_score_attn``: ``-sum(target * score) / N``, where the target
      spreads +1 over the gt region (masks when ``with_mask``, else boxes;
      area-resized to the feature grid, several targets averaged) and -1
      evenly over the rest; -1 everywhere for a no-target sample.
    - ``loss_decoder_attn``: ``(total - inside) / (inside + 0.001)`` of
      each matched query's attention inside its target's region. With one
      query the layers' maps are summed first and the sum is divided by
      ``N * layers``; with several it is per layer and matched query,
      divided by their number (the official code has both paths).

    Official checkpoint keys (``TextGuidedQuerySelectKDDETRHead``) map by
    prefix: ``input_proj`` / ``input_text_proj`` / ``mask_head`` keep
    their names; ``query_embed`` -> ``query_generator.query_embed``;
    ``text_guided_query_generation_transformer`` ->
    ``query_generator.decoder`` (and inside mmdet's layers
    ``attentions.0`` -> ``self_attn``, ``attentions.1`` -> ``cross_attn``,
    ``ffns.0`` -> ``ffn``, ``post_norm_layer`` -> ``post_norm``);
    ``transformer.img_enhance`` -> ``img_enhance``;
    ``transformer.decoder`` -> ``decoder``; ``class_embed_decoder`` ->
    ``cls_branch``; ``bbox_embed_decoder`` -> ``reg_branch``;
    ``class_embed_token`` / ``bbox_embed_token`` -> ``cls_token_branch``
    / ``reg_token_branch``. ``criterion.empty_weight`` ([1, 0.1]) is the
    ``loss_cls`` class weight here, not a buffer.

    Args:
        decoder (dict): :class:`ALVGDecoder` arguments besides
            ``chain_queries``. Defaults to 3 layers.
        with_mask (bool): Train and predict the mask (REC+RES, gRefCOCO
            GRES). Box-only configs keep the mask head (its weights are in
            the checkpoints) frozen. With masks and ``score_thr``, each
            kept box carries the expression's one mask, so no kept box
            means an empty mask. Defaults to True.
        chain_decoder_queries (bool): See :class:`ALVGDecoder`. Defaults to
            False (trained so).
        mask_loss_double_sigmoid (bool): Apply the focal and Dice losses to
            the mask probabilities as if they were logits (a second
            sigmoid), as the official criterion does on its sigmoid
            output. Defaults to True (trained so).
        loss_mask (dict): Mask focal loss.
        loss_dice (dict): Mask Dice loss (naive Dice, smoothing 1).
        score_attn_loss_weight (float): 40 (ViT-B), 32 (ViT-L), 0
            (gRefCOCO). Defaults to 40.
        decoder_attn_loss_weight (float): 1, or 0 (gRefCOCO). Defaults to
            1.
        **kwargs: :class:`TextGuidedDETRHead` arguments (``in_channels``,
            ``embed_dims``, ``num_queries``, ``query_generator``,
            ``score_thr``, the text quirks, the set losses, the assigner).
    """

    learns_no_target = True

    def __init__(self,
                 decoder: dict = dict(num_layers=3),
                 with_mask: bool = True,
                 chain_decoder_queries: bool = False,
                 mask_loss_double_sigmoid: bool = True,
                 loss_mask: dict = dict(
                     type='FocalLoss',
                     use_sigmoid=True,
                     gamma=2.0,
                     alpha=0.25,
                     loss_weight=15.0),
                 loss_dice: dict = dict(
                     type='DiceLoss',
                     use_sigmoid=True,
                     activate=True,
                     naive_dice=True,
                     eps=1.0,
                     loss_weight=6.0),
                 score_attn_loss_weight: float = 40.0,
                 decoder_attn_loss_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_mask = with_mask
        self.mask_loss_double_sigmoid = mask_loss_double_sigmoid
        self.score_attn_loss_weight = score_attn_loss_weight
        self.decoder_attn_loss_weight = decoder_attn_loss_weight
        embed_dims = self.input_text_proj.out_features
        self.img_enhance = ImgEnhance(embed_dims)
        self.decoder = ALVGDecoder(
            chain_queries=chain_decoder_queries, **decoder)
        self.mask_head = ALVGMaskHead(embed_dims)
        # Loaded from the official checkpoints but trained by no loss:
        # frozen, so that DDP needs no ``find_unused_parameters`` and the
        # optimizer keeps no state for them.
        untrained = [
            self.cls_token_branch, self.reg_token_branch,
            self.mask_head.cross_attn, self.mask_head.norm
        ]
        if not with_mask:
            untrained.append(self.mask_head)
        for module in untrained:
            module.requires_grad_(False)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor, ...]:
        """Run the head.

        Returns:
            tuple[Tensor]: ``cls_scores`` (S, N, Q, 2) logits (object,
            no-object) and ``bbox_preds`` (S, N, Q, 4) normalised cxcywh of
            the S decoder layers; ``mask_logits`` (N, 8h, 8w); ``scores``
            (N, h, w), the enhancement score; ``attn_maps`` (S, N, Q, h, w),
            the decoder's cross-attention.
        """
        inputs = self.embed_inputs(feats)
        img, img_pos = inputs['img'], inputs['img_pos']
        batch, channels, h, w = img.shape
        memory, score = self.img_enhance(
            img.flatten(2).transpose(1, 2), img_pos, inputs['pooled'])
        queries, attn = self.decoder(inputs['query_pos'], memory, img_pos,
                                     inputs['img_mask'])
        cls_scores = self.cls_branch(queries)
        bbox_preds = self.reg_branch(queries).sigmoid()
        mask_logits = self.mask_head(
            memory.transpose(1, 2).reshape(batch, channels, h, w),
            img_pos.transpose(1, 2).reshape(batch, channels, h, w))
        return (cls_scores, bbox_preds, mask_logits,
                score.reshape(batch, h,
                              w), attn.reshape(*attn.shape[:3], h, w))

    def loss_by_feat(self, cls_scores: Tensor, bbox_preds: Tensor,
                     mask_logits: Tensor, scores: Tensor, attn_maps: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The losses; see the class docstring.

        Args:
            cls_scores, bbox_preds, mask_logits, scores, attn_maps: See
                :meth:`forward`.
            batch_gt_instances (list[InstanceData]): ``bboxes`` (xyxy,
                input pixels; none for a no-target sample) and, with
                ``with_mask``, ``masks``.
            batch_img_metas (list[dict]): Metainfo.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``, ``loss_iou``
            of the last layer and ``d{i}.``-prefixed ones of the earlier
            layers; ``loss_mask``/``loss_dice`` with ``with_mask``;
            ``loss_score_attn``/``loss_decoder_attn`` when weighted.
        """
        name = type(self).__name__
        pad_h, pad_w = batch_img_metas[0]['batch_input_shape']
        gt_boxes, num_boxes = self.normalized_gt_boxes(batch_gt_instances,
                                                       batch_img_metas,
                                                       cls_scores.device)
        # The last layer's matches: the attention losses use them for
        # every layer, as the official code does.
        matches, losses = self.decoder_losses(cls_scores, bbox_preds, gt_boxes,
                                              num_boxes)

        regions = None
        if self.with_mask:
            masks = [
                self._padded_masks(
                    gt_field(gt, meta, 'masks', name), (pad_h, pad_w),
                    mask_logits.device)
                for gt, meta in zip(batch_gt_instances, batch_img_metas)
            ]
            losses.update(self._mask_losses(mask_logits, masks, num_boxes))
            regions = masks
        if self.score_attn_loss_weight or self.decoder_attn_loss_weight:
            if regions is None:
                factor = cls_scores.new_tensor([pad_w, pad_h, pad_w, pad_h])
                regions = [
                    self._box_maps(boxes * factor, (pad_h, pad_w))
                    for boxes in gt_boxes
                ]
            losses.update(
                self._attention_losses(scores, attn_maps, regions, matches))
        return losses

    @staticmethod
    def _padded_masks(masks, pad_shape: Tuple[int, int],
                      device: torch.device) -> Tensor:
        """(K, H_pad, W_pad) float gt masks, zero-padded bottom-right."""
        if not isinstance(masks, Tensor):
            masks = masks.to_tensor(torch.bool, device)
        masks = masks.to(device).float().reshape(-1, *masks.shape[-2:])
        h, w = masks.shape[-2:]
        return F.pad(masks, (0, pad_shape[1] - w, 0, pad_shape[0] - h))

    @staticmethod
    def _box_maps(boxes: Tensor, pad_shape: Tuple[int, int]) -> Tensor:
        """(K, H_pad, W_pad) maps of the pixels a box touches, its
        rounded-out corners included, as the official code draws them."""
        maps = boxes.new_zeros(len(boxes), *pad_shape)
        for box_map, box in zip(maps, boxes):
            x1, y1 = box[:2].floor().long().tolist()
            x2, y2 = box[2:].ceil().long().tolist()
            box_map[y1:y2 + 1, x1:x2 + 1] = 1
        return maps

    def _mask_losses(self, mask_logits: Tensor, masks: List[Tensor],
                     num_boxes: float) -> Dict[str, Tensor]:
        """Focal and Dice losses against the union of the gt masks,
        bilinearly resized to the logits and truncated (a pixel is target
        only where all its source pixels are), as the official targets."""
        targets = torch.stack([
            m.amax(dim=0) if len(m) else m.new_zeros(m.shape[-2:])
            for m in masks
        ])
        targets = F.interpolate(
            targets[:, None],
            size=mask_logits.shape[-2:],
            mode='bilinear',
            align_corners=False)[:, 0].floor().flatten(1)
        pred = mask_logits.flatten(1)
        if self.mask_loss_double_sigmoid:
            pred = pred.sigmoid()
        return dict(
            loss_mask=self.loss_mask(
                pred, targets, avg_factor=num_boxes * pred.size(1)),
            loss_dice=self.loss_dice(pred, targets, avg_factor=num_boxes))

    def _attention_losses(self, scores: Tensor, attn_maps: Tensor,
                          regions: List[Tensor],
                          matches: Matches) -> Dict[str, Tensor]:
        """The score and decoder-attention losses (class docstring).

        Args:
            scores (Tensor): (N, h, w) enhancement scores.
            attn_maps (Tensor): (S, N, Q, h, w) attention.
            regions (list[Tensor]): Per sample (K, H_pad, W_pad) gt maps.
            matches (list[tuple]): The last layer's matches.
        """
        num_layers, batch, num_queries, h, w = attn_maps.shape
        overlaps, focus = [], []
        for region in regions:
            if len(region) == 0:
                overlaps.append(scores.new_full((h, w), -1 / (h * w)))
                focus.append(region.new_zeros(0, h, w))
                continue
            area = F.adaptive_avg_pool2d(region[:, None], (h, w))[:, 0]
            overlap = (area / area.sum(dim=(1, 2), keepdim=True)).amax(
                dim=0) / len(region)
            inside = torch.count_nonzero(overlap)
            if inside < h * w:
                overlap = torch.where(overlap == 0, -1 / (h * w - inside),
                                      overlap)
            overlaps.append(overlap)
            # The box maps stay fractional, the masks are binarised: the
            # official code treats them so.
            focus.append((area > 0).float() if self.with_mask else area)
        losses = {}
        if self.score_attn_loss_weight:
            losses['loss_score_attn'] = self.score_attn_loss_weight * -(
                torch.stack(overlaps) * scores).sum() / batch
        if self.decoder_attn_loss_weight:
            losses['loss_decoder_attn'] = (
                self.decoder_attn_loss_weight *
                self._decoder_attn_loss(attn_maps, focus, matches))
        return losses

    @staticmethod
    def _decoder_attn_loss(attn_maps: Tensor, focus: List[Tensor],
                           matches: Matches) -> Tensor:
        """How much of each matched query's attention falls outside its
        target, relative to what falls inside."""
        num_layers, batch, num_queries = attn_maps.shape[:3]
        if num_queries == 1:
            total = attn_maps.sum(dim=0)[:, 0]
            loss = attn_maps.new_zeros(())
            for attn, region in zip(total, focus):
                if len(region):
                    inside = (attn * region[0]).sum()
                    loss = loss + (attn.sum() - inside) / (inside + 0.001)
            return loss / (batch * num_layers)
        loss, count = attn_maps.new_zeros(()), 0
        for layer_maps in attn_maps:
            for attn, region, (query_ids,
                               gt_ids) in zip(layer_maps, focus, matches):
                picked = attn[query_ids]
                inside = (picked * region[gt_ids]).sum(dim=(1, 2))
                loss = loss + ((picked.sum(dim=(1, 2)) - inside) /
                               (inside + 0.001)).sum()
                count += len(query_ids)
        return loss / reduce_mean(loss.new_tensor(count)).clamp(min=1)

    def predict_by_feat(self,
                        cls_scores: Tensor,
                        bbox_preds: Tensor,
                        mask_logits: Tensor,
                        scores: Tensor,
                        attn_maps: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """The last layer's boxes (and the mask) per sample.

        Returns:
            list[InstanceData]: ``bboxes`` (K, 4) xyxy, ``scores`` (K, ),
            the object probability, ``labels`` (K, ) zeros and, with
            ``with_mask``, ``masks`` (K, H, W) and ``input_masks``
            (K, h, w), the expression's mask repeated for each box. K is
            1, or with ``score_thr`` the number of queries passing it.
        """
        results = self.box_results(cls_scores[-1], bbox_preds[-1],
                                   batch_img_metas, rescale)
        if not self.with_mask:
            return results
        pad_shape = tuple(batch_img_metas[0]['batch_input_shape'])
        mask_probs = F.interpolate(
            mask_logits[:, None].sigmoid(),
            size=pad_shape,
            mode='bilinear',
            align_corners=False)
        for result, probs, meta in zip(results, mask_probs, batch_img_metas):
            input_mask = crop_to_image(probs, meta) >= 0.5
            mask = (
                masks_to_original(probs, meta) >= 0.5
                if rescale else input_mask)
            result.input_masks = input_mask.expand(len(result), -1, -1)
            result.masks = mask.expand(len(result), -1, -1)
        return results
