# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, Optional

import torch.nn.functional as F
from mmdet.models.layers import DetrTransformerEncoder, SinePositionalEncoding
from torch import Tensor, nn

from mmvg.models.layers import (LanguageGuidedContextEncoder,
                                MultiStageDecoder,
                                VisualLinguisticVerification)
from mmvg.registry import MODELS
from mmvg.structures import VGSampleList
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
        head (dict): The box head, e.g. ``VLTVGHead``; it reads
            ``queries``.
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
        aux_heads (dict[str, dict], optional): Auxiliary heads by name.
            The paper has none; the from-scratch quick start supervises the
            verification scores with the gt box (``BoxMapHead``) and
            classifies the visual features under it (``CellCategoryHead``).
            Defaults to None.
        data_preprocessor (dict, optional): The data preprocessor config.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 head: dict,
                 backbone_channels: int = 2048,
                 embed_dims: int = 256,
                 positional_encoding: dict = dict(
                     num_feats=128, normalize=True),
                 visual_encoder: dict = dict(num_layers=6, layer_cfg=dict()),
                 verification: dict = dict(),
                 context_encoder: dict = dict(),
                 decoder: dict = dict(),
                 mask_padding: bool = False,
                 aux_heads: Optional[Dict[str, dict]] = None,
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
        self.build_heads(head, aux_heads)
        self.mask_padding = mask_padding

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

    def extract_visual_feat(self, inputs: Tensor,
                            data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Backbone + DETR encoder: the image alone.

        Args:
            inputs (Tensor): (N, 3, H, W) images.
            data_samples (list[VGDataSample]): The batch.

        Returns:
            dict: ``img_feats`` (N, hw, C), ``img_pos`` (N, hw, C) position
            embedding, ``img_mask`` (N, hw) padding mask and ``hw_shape``,
            the map's (h, w).
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
        return dict(
            img_feats=feat, img_pos=pos, img_mask=mask, hw_shape=hw_shape)

    def fuse_feat(self, visual_feats: Dict[str, Tensor],
                  data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The text encoder, verification, context and the decoder.

        Returns:
            dict: ``queries`` (S, N, Q, C), the object query of every
            decoder stage; ``img_feats`` (N, HW, C), the encoded visual
            features; ``verify_scores`` (N, HW, 1), the verification
            scores; ``hw_shape``, the map's (h, w).
        """
        img_feat = visual_feats['img_feats']
        img_pos = visual_feats['img_pos']
        img_mask = visual_feats['img_mask']
        hw_shape = visual_feats['hw_shape']
        text = self.extract_text_feat(data_samples)
        word_feat = self.text_proj(text['word_feats'])
        word_mask = ~text['word_mask']  # the layers take True = padding
        score = self.verification(img_feat, img_pos, word_feat, word_mask)
        discriminative = self.context_encoder(img_feat, img_mask, hw_shape,
                                              word_feat, word_mask, score)
        queries = self.decoder(discriminative, img_feat, img_pos, img_mask,
                               word_feat, word_mask)
        return dict(
            queries=queries,
            img_feats=img_feat,
            verify_scores=score,
            hw_shape=hw_shape)

    def heatmaps(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The verification scores, which the paper shows as its maps,
        divided by their learnt scale into [0, 1]."""
        score = feats['verify_scores'] / self.verification.score_scale
        return dict(
            verification=score.reshape(score.size(0), *
                                       feats['hw_shape']).clamp(0, 1))
