# Copyright (c) mmvg contributors. All rights reserved.
"""SimVG's head: a decoder branch and a token branch distilled from it."""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.layers import MLP, DetrTransformerDecoder
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.models.layers import xavier_matrices
from mmvg.registry import MODELS
from .text_guided_detr_head import Matches, TextGuidedDETRHead

BRANCHES = ('decoder', 'token')


@MODELS.register_module()
class SimVGHead(TextGuidedDETRHead):
    """The head of SimVG (Dai et al., NeurIPS 2024).

    On :class:`TextGuidedDETRHead`'s inputs, two branches predict boxes:

    - the decoder branch (DB): a DETR decoder (mmdet's
      ``DetrTransformerDecoder``, post-norm, every layer's output
      post-normed) decodes zero targets at the generated query positions
      from the projected patches, each layer's queries going through the
      2-way classifier and the box MLP;
    - the token branch (TB): BEiT-3's class token, projected and added to
      the query positions, through a small MLP and its own classifier and
      box MLP. It needs no decoder at inference, which is SimVG's point.

    Training (the official ``balanced_distill``): the DB's set losses
    on every layer (weight ``decoder``); the TB's set losses against the
    gt boxes, weighted ``token * (1 - w)``, and against the DB's last-layer
    matched boxes (detached, labelled object), weighted ``distill * w``,
    where ``w`` is the batch mean of those boxes' object probability times
    their IoU with the gt box they matched: the better the teacher, the
    more the student learns from it. Logged as ``distill_weight``. With
    ``token`` and ``distill`` both 0 (the first stage of the two-stage
    recipe) the TB is not run and its modules are frozen.

    Official checkpoint keys (``TextGuidedQuerySelectKDDETRHead``) map as
    ALVG's (:class:`ALVGHead`), plus ``transformer.decoder`` ->
    ``decoder`` (``attentions.0`` / ``attentions.1`` / ``ffns.0`` /
    ``post_norm_layer`` -> ``self_attn`` / ``cross_attn`` / ``ffn`` /
    ``post_norm``), ``input_cls_proj`` kept, ``mlp`` -> ``token_mlp``.

    Args:
        decoder (dict): ``DetrTransformerDecoder`` arguments. Defaults to
            the official 3 layers, 8 heads, FFN 2048, dropout 0.1.
        num_token_mlp_layers (int): Layers of the token MLP. Defaults to 1.
        branch_loss_weights (dict): ``decoder``, ``token`` and ``distill``
            weights. Defaults to the official one-stage recipe (1, 2, 1).
        predict_branch (str): ``'decoder'`` or ``'token'``. Defaults to
            ``'decoder'``.
        **kwargs: :class:`TextGuidedDETRHead` arguments (``in_channels``,
            ``embed_dims``, ``num_queries``, ``query_generator``,
            ``score_thr``, the text quirks, the set losses, the assigner).
    """

    def __init__(self,
                 decoder: dict = dict(
                     num_layers=3,
                     layer_cfg=dict(
                         self_attn_cfg=dict(
                             embed_dims=256, num_heads=8, attn_drop=0.1),
                         cross_attn_cfg=dict(
                             embed_dims=256, num_heads=8, attn_drop=0.1),
                         ffn_cfg=dict(
                             embed_dims=256,
                             feedforward_channels=2048,
                             ffn_drop=0.1))),
                 num_token_mlp_layers: int = 1,
                 branch_loss_weights: dict = dict(
                     decoder=1.0, token=2.0, distill=1.0),
                 predict_branch: str = 'decoder',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        unknown = set(branch_loss_weights) - {'decoder', 'token', 'distill'}
        if unknown:
            raise ValueError('branch_loss_weights takes decoder, token and '
                             f'distill, not {sorted(unknown)}')
        self.branch_loss_weights = dict(
            dict(decoder=0.0, token=0.0, distill=0.0), **branch_loss_weights)
        self.trains_token = bool(self.branch_loss_weights['token']
                                 or self.branch_loss_weights['distill'])
        if predict_branch not in BRANCHES:
            raise ValueError(f'predict_branch must be one of {BRANCHES}, '
                             f'not {predict_branch!r}')
        if predict_branch == 'token' and not self.trains_token:
            raise ValueError(
                "predict_branch='token' needs a trained token branch: "
                'a token or distill weight in branch_loss_weights')
        self.predict_branch = predict_branch
        embed_dims = self.input_text_proj.out_features
        self.decoder = DetrTransformerDecoder(**decoder)
        self.input_cls_proj = nn.Linear(self.input_text_proj.in_features,
                                        embed_dims)
        self.token_mlp = MLP(embed_dims, embed_dims, embed_dims,
                             num_token_mlp_layers)
        if not self.trains_token:
            for module in (self.input_cls_proj, self.token_mlp,
                           self.cls_token_branch, self.reg_token_branch):
                module.requires_grad_(False)

    def init_weights(self) -> None:
        """Xavier on the decoder's matrices, as the official transformer."""
        super().init_weights()
        xavier_matrices(self.decoder)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Optional[Tensor]]:
        """Run the branches this mode needs: in training the DB and, when
        trained, the TB; at inference the predicting branch only.

        Returns:
            tuple: ``cls_scores`` (S, N, Q, 2) logits (object, no-object)
            and ``bbox_preds`` (S, N, Q, 4) normalised cxcywh of the S
            decoder layers, then ``token_cls_scores`` (N, Q, 2) and
            ``token_bbox_preds`` (N, Q, 4); None for a branch not run.
        """
        inputs = self.embed_inputs(feats)
        cls_scores = bbox_preds = token_cls = token_boxes = None
        if self.training or self.predict_branch == 'decoder':
            memory = inputs['img'].flatten(2).transpose(1, 2)
            queries = self.decoder(
                query=torch.zeros_like(inputs['query_pos']),
                key=memory,
                value=memory,
                query_pos=inputs['query_pos'],
                key_pos=inputs['img_pos'],
                key_padding_mask=inputs['img_mask'])
            cls_scores = self.cls_branch(queries)
            bbox_preds = self.reg_branch(queries).sigmoid()
        if (self.trains_token
                if self.training else self.predict_branch == 'token'):
            token = self.token_mlp(
                self.input_cls_proj(feats['cls_feat'])[:, None] +
                inputs['query_pos'])
            token_cls = self.cls_token_branch(token)
            token_boxes = self.reg_token_branch(token).sigmoid()
        return cls_scores, bbox_preds, token_cls, token_boxes

    def loss_by_feat(self, cls_scores: Tensor, bbox_preds: Tensor,
                     token_cls_scores: Optional[Tensor],
                     token_bbox_preds: Optional[Tensor],
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The losses; see the class docstring.

        Returns:
            dict[str, Tensor]: The DB's ``loss_cls``, ``loss_bbox``,
            ``loss_iou`` of the last layer and ``d{i}.``-prefixed ones of
            the earlier layers; with the TB, ``token.``- and
            ``distill.``-prefixed ones and ``distill_weight`` (logged, not
            a loss).
        """
        gt_boxes, num_boxes = self.normalized_gt_boxes(batch_gt_instances,
                                                       batch_img_metas,
                                                       cls_scores.device)
        matches, decoder_losses = self.decoder_losses(cls_scores, bbox_preds,
                                                      gt_boxes, num_boxes)
        weights = self.branch_loss_weights
        losses = {
            key: value * weights['decoder']
            for key, value in decoder_losses.items()
        }
        if token_cls_scores is None:
            return losses
        teacher_boxes, distill_weight = self._teacher(cls_scores[-1],
                                                      bbox_preds[-1], gt_boxes,
                                                      matches)
        _, token_losses = self.set_losses(token_cls_scores, token_bbox_preds,
                                          gt_boxes, num_boxes)
        _, distill_losses = self.set_losses(
            token_cls_scores, token_bbox_preds, teacher_boxes,
            self.mean_count(
                sum(len(b) for b in teacher_boxes), cls_scores.device))
        for key, value in token_losses.items():
            losses['token.' + key] = (
                value * weights['token'] * (1 - distill_weight))
        for key, value in distill_losses.items():
            losses['distill.' + key] = (
                value * weights['distill'] * distill_weight)
        losses['distill_weight'] = distill_weight
        return losses

    @staticmethod
    def _teacher(cls_scores: Tensor, bbox_preds: Tensor,
                 gt_boxes: List[Tensor],
                 matches: Matches) -> Tuple[List[Tensor], Tensor]:
        """The DB's matched boxes as the TB's targets (normalised xyxy,
        detached) and the distillation weight: the mean over them of the
        object probability times the IoU with their gt box (0 without
        any)."""
        probs = cls_scores.detach().softmax(dim=-1)[..., 0]
        boxes, quality = [], []
        for prob, preds, gt, (query_ids,
                              gt_ids) in zip(probs, bbox_preds.detach(),
                                             gt_boxes, matches):
            teacher = bbox_cxcywh_to_xyxy(preds[query_ids])
            boxes.append(teacher)
            quality.append(prob[query_ids] *
                           bbox_overlaps(teacher, gt[gt_ids], is_aligned=True))
        quality = torch.cat(quality)
        weight = quality.mean() if len(quality) else probs.new_zeros(())
        return boxes, weight

    def predict_by_feat(self,
                        cls_scores: Optional[Tensor],
                        bbox_preds: Optional[Tensor],
                        token_cls_scores: Optional[Tensor],
                        token_bbox_preds: Optional[Tensor],
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """The ``predict_branch``'s boxes per sample (the DB's last layer
        or the TB); see :meth:`TextGuidedDETRHead.box_results`."""
        if self.predict_branch == 'token':
            return self.box_results(token_cls_scores, token_bbox_preds,
                                    batch_img_metas, rescale)
        return self.box_results(cls_scores[-1], bbox_preds[-1],
                                batch_img_metas, rescale)
