# Copyright (c) mmvg contributors. All rights reserved.
"""MCN: multi-task collaborative network for joint referring expression
comprehension and segmentation.

Reference: Luo et al., CVPR 2020, as reimplemented in the SimREC
repository. DarkNet-53 encodes the image, the GRU + self-attention encoder
the expression; the sentence vector is fused into the stride-32 map, a
pyramid mixes the scales, and two GARAN attentions weigh the stride-32
map for the box and the stride-8 map for the mask. One head predicts both,
trained with a consistency energy between the two attention maps.
"""
from typing import Dict, Optional

from torch import Tensor

from mmvg.registry import MODELS
from mmvg.structures import VGSampleList
from .base_grounder import BaseGrounder
from .simrec import VISUAL_LEVELS, attention_grid


@MODELS.register_module()
class MCN(BaseGrounder):
    """MCN with the official module layout of the SimREC repository.

    Attribute names map one to one to the official checkpoint's prefixes
    (``visual_encoder`` -> ``backbone``, ``lang_encoder`` ->
    ``text_encoder``, ``fusion_manner`` -> ``fusion``,
    ``multi_scale_manner`` -> ``neck``, ``det_garan`` -> ``det_attention``,
    ``seg_garan`` -> ``seg_attention``); tools/model_converters/
    simrec_to_mmvg.py renames them.

    Args:
        backbone (dict): The visual backbone (``DarkNet53``); it returns
            the stride-8/16/32 maps.
        text_encoder (dict): The text encoder (``GRUSATextEncoder``).
        fusion (dict): The ``SimpleFusion`` of the stride-32 map with the
            sentence vector.
        neck (dict): The ``MultiScaleFusion`` pyramid.
        det_attention (dict): The ``GaranAttention`` of the box branch.
        seg_attention (dict): The ``GaranAttention`` of the mask branch.
        head (dict): The box and mask head (``MCNHead``).
        aux_heads (dict[str, dict], optional): Auxiliary heads by name.
            Defaults to None.
        data_preprocessor (dict, optional): Usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 fusion: dict,
                 neck: dict,
                 det_attention: dict,
                 seg_attention: dict,
                 head: dict,
                 aux_heads: Optional[Dict[str, dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.fusion = MODELS.build(fusion)
        self.neck = MODELS.build(neck)
        self.det_attention = MODELS.build(det_attention)
        self.seg_attention = MODELS.build(seg_attention)
        self.build_heads(head, aux_heads)

    def extract_visual_feat(self, inputs: Tensor,
                            data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The backbone's maps by :data:`~.simrec.VISUAL_LEVELS`."""
        return dict(zip(VISUAL_LEVELS, self.backbone(inputs)))

    def fuse_feat(self, visual_feats: Dict[str, Tensor],
                  data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Fuse the sentence vector into the stride-32 map, mix the scales,
        and attend for each branch.

        Returns:
            dict: ``top`` (B, C, H/32, W/32) and ``bottom``
            (B, C, H/8, W/8) after their GARAN attentions, the inputs of
            the box and the mask branch; ``det_map`` and ``seg_map``, the
            two attentions' map logits (B, h * w); ``det_attn`` and
            ``seg_attn``, their attended features, which the consistency
            energy loss compares; and the backbone's maps by
            :data:`~.simrec.VISUAL_LEVELS`, for auxiliary heads.
        """
        sent = self.extract_text_feat(data_samples)['sent_feat']
        *finer, coarsest = (visual_feats[level] for level in VISUAL_LEVELS)
        bottom, _, top = self.neck([*finer, self.fusion(coarsest, sent)])
        bottom, seg_map, seg_attn = self.seg_attention(sent, bottom)
        top, det_map, det_attn = self.det_attention(sent, top)
        return dict(
            top=top,
            bottom=bottom,
            det_map=det_map,
            seg_map=seg_map,
            det_attn=det_attn,
            seg_attn=seg_attn,
            **visual_feats)

    def heatmaps(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The two GARAN attention maps (sigmoid of their logits)."""
        return dict(
            det_attention=attention_grid(feats['det_map'], feats['top']),
            seg_attention=attention_grid(feats['seg_map'], feats['bottom']))
