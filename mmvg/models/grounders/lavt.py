# Copyright (c) mmvg contributors. All rights reserved.
"""LAVT: Language-Aware Vision Transformer for referring segmentation.

Reference: Yang et al., CVPR 2022. BERT encodes the expression; a Swin
Transformer with a pixel-word attention module and a language gate in each
stage fuses the words into the visual features early; a simple top-down
decoder predicts the mask of the referred object.
"""
from typing import Dict, Optional

from torch import Tensor

from mmvg.registry import MODELS
from mmvg.structures import VGSampleList
from .base_grounder import BaseGrounder


@MODELS.register_module()
class LAVT(BaseGrounder):
    """LAVT with its text encoder (BERT) beside the fused model.

    The official ``lavt`` keeps BERT as a separate module (with its own DDP
    wrapper and its own ``bert_model`` entry in the checkpoint); here it is
    the ``text_encoder`` attribute and runs before the backbone. See
    :class:`LAVTOne` for the official ``lavt_one`` layout.

    Args:
        backbone (dict): The language-aware Swin
            (``LAVTSwinTransformer``).
        text_encoder (dict): The BERT encoder (``BertTextEncoder``, without
            pooler).
        head (dict): The mask decoder (``LAVTMaskHead``).
        aux_heads (dict[str, dict], optional): Auxiliary heads by name.
            Defaults to None.
        data_preprocessor (dict, optional): Usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 head: dict,
                 aux_heads: Optional[Dict[str, dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.text_encoder = MODELS.build(text_encoder)
        self.backbone = MODELS.build(backbone)
        self.build_heads(head, aux_heads)

    def extract_feat(self, inputs: Tensor,
                     data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Language-aware multi-scale visual features.

        Returns:
            dict: ``visual_feats``, the four stage maps (B, C_i, H_i, W_i),
            finest first, and ``batch_input_shape``, the padded input's
            (H, W).
        """
        text = self.extract_text_feat(data_samples)
        visual_feats = self.backbone(inputs, text['word_feats'],
                                     text['word_mask'])
        return dict(
            visual_feats=visual_feats, batch_input_shape=inputs.shape[-2:])

    def heatmaps(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The foreground probability of the mask logits over the padded
        input (the head runs a second time, only when maps are asked)."""
        return dict(mask_probability=self.head(feats)[0].softmax(dim=1)[:, 1])


@MODELS.register_module()
class LAVTOne(LAVT):
    """LAVT with BERT inside the fused model (the official ``lavt_one``).

    The official ``lavt_one`` moved BERT into the segmentation model so that
    one DDP wrapper covers everything. An mmvg grounder is always a single
    module under a single wrapper, so ``LAVT`` and ``LAVTOne`` compute the
    same function and share their keys; the two names keep the official
    model names in configs and results, and the converter reads both
    official checkpoint layouts.
    """
