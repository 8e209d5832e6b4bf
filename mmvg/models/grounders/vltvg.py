# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.layers import DetrTransformerEncoder, SinePositionalEncoding
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from torch import Tensor, nn

from mmvg.models.layers import (LanguageGuidedContextEncoder,
                                MultiStageDecoder,
                                VisualLinguisticVerification)
from mmvg.registry import MODELS
from mmvg.structures import OptVGSampleList, VGSampleList
from .base_grounder import BaseGrounder


@MODELS.register_module()
class VLTVG(BaseGrounder):
    """VLTVG: visual grounding with visual-linguistic verification and
    iterative reasoning (Yang et al., CVPR 2022).

    ResNet (frozen BN) -> 1x1 projection -> DETR transformer encoder with
    sine positions gives visual features; BERT (mean of its last layers)
    -> linear projection gives word features. The verification module
    scores each position against the expression, the language-guided
    context encoder gathers context, their fusion forms discriminative
    features, and the multi-stage decoder refines one object query whose
    box is regressed at every stage.

    Args:
        backbone (dict): The visual backbone, e.g. mmdet's ``ResNet``.
        text_encoder (dict): The text encoder, e.g. ``BertTextEncoder``.
        bbox_head (dict): The box head, e.g. ``VLTVGHead``.
        backbone_channels (int): Channels of the backbone's last output.
            Defaults to 2048.
        embed_dims (int): Transformer channels. Defaults to 256.
        positional_encoding (dict): mmdet ``SinePositionalEncoding``
            arguments.
        visual_encoder (dict): mmdet ``DetrTransformerEncoder`` arguments.
        verification (dict): :class:`VisualLinguisticVerification`
            arguments.
        context_encoder (dict): :class:`LanguageGuidedContextEncoder`
            arguments.
        decoder (dict): :class:`MultiStageDecoder` arguments.
        mask_padding (bool): Whether attention ignores padded pixels. The
            official code pads with an all-False mask, i.e. padding is seen
            as image, and its weights were trained so. Defaults to False.
        verification_loss (dict, optional): A loss that supervises the
            verification scores directly with the gt box, e.g.
            :class:`BoxMapLoss`, reported as ``loss_verify``. Not in the
            paper, whose scores learn from the box loss alone: the paper
            configs leave it None; the from-scratch quick start sets it.
            Defaults to None.
        category_head (dict, optional): A training-only head that
            classifies the visual features under the gt box by the referred
            object's category, e.g. :class:`CellCategoryHead`, reported as
            ``loss_category``. Not in the paper, whose backbone learned
            categories in DETR's detection training: the paper configs leave
            it None; the from-scratch quick start sets it. Defaults to None.
        data_preprocessor (dict, optional): The data preprocessor config.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 bbox_head: dict,
                 backbone_channels: int = 2048,
                 embed_dims: int = 256,
                 positional_encoding: dict = dict(
                     num_feats=128, normalize=True),
                 visual_encoder: dict = dict(num_layers=6, layer_cfg=dict()),
                 verification: dict = dict(),
                 context_encoder: dict = dict(),
                 decoder: dict = dict(),
                 mask_padding: bool = False,
                 verification_loss: Optional[dict] = None,
                 category_head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.input_proj = nn.Conv2d(backbone_channels, embed_dims, 1)
        self.positional_encoding = SinePositionalEncoding(
            **positional_encoding)
        self.visual_encoder = DetrTransformerEncoder(**visual_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        self.text_proj = nn.Linear(self.text_encoder.embed_dims, embed_dims)
        self.verification = VisualLinguisticVerification(**verification)
        self.context_encoder = LanguageGuidedContextEncoder(**context_encoder)
        self.decoder = MultiStageDecoder(**decoder)
        self.bbox_head = MODELS.build(bbox_head)
        self.mask_padding = mask_padding
        self.verification_loss = (
            MODELS.build(verification_loss) if verification_loss else None)
        self.category_head = (
            MODELS.build(category_head) if category_head else None)

    def init_weights(self) -> None:
        """Xavier-initialise the transformer parts, as DETR and VLTVG do,
        then let the children (BERT weights, backbone ``init_cfg``) and
        this model's ``init_cfg`` (e.g. a converted DETR checkpoint)
        overwrite what they provide."""
        for module in (self.visual_encoder, self.verification,
                       self.context_encoder, self.decoder):
            for param in module.parameters():
                if param.dim() > 1:
                    nn.init.xavier_uniform_(param)
        super().init_weights()

    def extract_visual_feat(
        self, inputs: Tensor, data_samples: VGSampleList
    ) -> Tuple[Tensor, Tensor, Tensor, Tuple[int, int]]:
        """Backbone + DETR encoder.

        Args:
            inputs (Tensor): (N, 3, H, W) images.
            data_samples (list[VGDataSample]): The batch.

        Returns:
            tuple: features (N, hw, C), position embedding (N, hw, C),
            padding mask (N, hw) and the map's (h, w).
        """
        feat = self.backbone(inputs)[-1]
        if self.mask_padding:
            pixel_mask = self.stack_pixel_masks(inputs, data_samples)
        else:
            pixel_mask = inputs.new_zeros((inputs.size(0), *inputs.shape[-2:]),
                                          dtype=bool)
        mask = F.interpolate(
            pixel_mask[:, None].float(), size=feat.shape[-2:])[:, 0].bool()
        # The sine encoding is computed in float32; under fp16/bf16 training
        # (DeepSpeed casts the weights) it must follow the features.
        pos = self.positional_encoding(mask).to(feat.dtype)
        hw_shape = tuple(feat.shape[-2:])
        feat = self.input_proj(feat).flatten(2).transpose(1, 2)
        pos = pos.flatten(2).transpose(1, 2)
        mask = mask.flatten(1)
        feat = self.visual_encoder(
            query=feat, query_pos=pos, key_padding_mask=mask)
        return feat, pos, mask, hw_shape

    def extract_text_feat(self,
                          data_samples: VGSampleList) -> Tuple[Tensor, Tensor]:
        """BERT + projection.

        Args:
            data_samples (list[VGDataSample]): The batch, with ``tokens``.

        Returns:
            tuple: word features (N, L, C) and their padding mask (N, L),
            True on padding.
        """
        tokens = self.stack_tokens(data_samples)
        word_feat = self.text_encoder(tokens['input_ids'],
                                      tokens['attention_mask'],
                                      tokens.get('token_type_ids'))
        length = word_feat.size(1)
        padding_mask = ~tokens['attention_mask'][:, :length].bool()
        return self.text_proj(word_feat), padding_mask

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptVGSampleList = None) -> Tensor:
        """Run the network up to the decoder.

        Returns:
            Tensor: (num_stages, N, Q, C) the object query of every stage.
        """
        return self._forward_with_scores(inputs, data_samples)[0]

    def _forward_with_scores(
        self, inputs: Tensor, data_samples: OptVGSampleList
    ) -> Tuple[Tensor, Tensor, Tensor, Tuple[int, int]]:
        """Run the network up to the decoder, keeping the visual features
        and the verification scores.

        Returns:
            tuple: the object query of every stage (num_stages, N, Q, C),
            the visual features (N, HW, C), the verification scores
            (N, HW, 1) and the map's (h, w).
        """
        img_feat, img_pos, img_mask, hw_shape = self.extract_visual_feat(
            inputs, data_samples)
        word_feat, word_mask = self.extract_text_feat(data_samples)
        score = self.verification(img_feat, img_pos, word_feat, word_mask)
        discriminative = self.context_encoder(img_feat, img_mask, hw_shape,
                                              word_feat, word_mask, score)
        stages = self.decoder(discriminative, img_feat, img_pos, img_mask,
                              word_feat, word_mask)
        return stages, img_feat, score, hw_shape

    def loss(self, inputs: Tensor,
             data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Box losses of every decoder stage, ``loss_verify`` when a
        ``verification_loss`` is set and ``loss_category`` when a
        ``category_head`` is set."""
        stages, img_feat, score, hw_shape = self._forward_with_scores(
            inputs, data_samples)
        losses = self.bbox_head.loss(stages, data_samples)
        if self.verification_loss is None and self.category_head is None:
            return losses
        boxes = bbox_cxcywh_to_xyxy(
            self.bbox_head.get_targets(data_samples, score.device))
        if self.verification_loss is not None:
            losses['loss_verify'] = self.verification_loss(
                score[..., 0], boxes, hw_shape)
        if self.category_head is not None:
            labels = torch.stack([
                torch.as_tensor(sample.gt_instances.labels[0])
                for sample in data_samples
            ]).to(score.device)
            losses['loss_category'] = self.category_head.loss(
                img_feat, boxes, labels, hw_shape)
        return losses

    def predict(self, inputs: Tensor,
                data_samples: VGSampleList) -> VGSampleList:
        """Predict one box per expression, in original image pixels."""
        results = self.bbox_head.predict(
            self._forward(inputs, data_samples), data_samples)
        for result, sample in zip(results, data_samples):
            result.bboxes = self.boxes_to_original(result.bboxes, sample)
        return self.add_pred_to_datasample(data_samples, results)
