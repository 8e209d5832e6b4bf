# Copyright (c) mmvg contributors. All rights reserved.
"""SimVG: a BEiT-3 one-tower grounder whose class token learns to ground
by distillation from a DETR decoder (Dai et al., NeurIPS 2024)."""
from typing import Dict, Optional

import torch.nn.functional as F
from torch import Tensor

from mmvg.registry import MODELS
from mmvg.structures import VGSampleList
from .base_grounder import BaseGrounder


@MODELS.register_module()
class SimVG(BaseGrounder):
    """SimVG: one BEiT-3 transformer encodes the image patches and the
    words together; the head decodes boxes from its patch, word and class
    token features (:class:`~mmvg.models.heads.SimVGHead`, REC and
    gRefCOCO's GREC). :class:`ALVG` is this grounder with ALVG's head.

    Args:
        backbone (dict): The BEiT-3 encoder (``type='BEiT3'``); its
            ``forward(images, text_ids, text_padding_mask)`` returns
            ``cls_feat`` (N, C), ``img_feats`` (N, C, h, w) and
            ``text_feats`` (N, L, C).
        head (dict): ``SimVGHead`` (or ``ALVGHead`` in :class:`ALVG`).
        aux_heads (dict[str, dict], optional): Auxiliary heads by name.
            Defaults to None.
        data_preprocessor (dict, optional): Usually ``VGDataPreprocessor``
            with BEiT-3's tokenizer.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 aux_heads: Optional[Dict[str, dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.build_heads(head, aux_heads)

    def extract_feat(self, inputs: Tensor,
                     data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Encode images and expressions together.

        Returns:
            dict: ``img_feats`` (N, C, h, w), ``img_mask`` (N, h, w) True
            on padding, ``text_feats`` (N, L, C), ``text_mask`` (N, L)
            True on padding, ``cls_feat`` (N, C).
        """
        tokens = self.stack_tokens(data_samples)
        # mmvg's attention_mask is 1 on real tokens; BEiT-3 and the head
        # take True on padding.
        text_mask = tokens['attention_mask'] == 0
        out = self.backbone(inputs, tokens['input_ids'], text_mask)
        img_feats = out['img_feats']
        pixel_mask = self.stack_pixel_masks(inputs, data_samples)
        img_mask = F.interpolate(
            pixel_mask[:, None].float(), size=img_feats.shape[-2:])[:,
                                                                    0].bool()
        return dict(
            img_feats=img_feats,
            img_mask=img_mask,
            text_feats=out['text_feats'],
            text_mask=text_mask,
            cls_feat=out['cls_feat'])
