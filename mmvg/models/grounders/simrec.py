# Copyright (c) mmvg contributors. All rights reserved.
"""SimREC: a simple one-stage referring expression comprehension model.

Reference: Luo et al., "What Goes beyond Multi-modal Fusion in One-stage
Referring Expression Comprehension: An Empirical Study", 2022. A YOLOv5
CSPDarkNet encodes the image at strides 8/16/32, a GRU with self-attention
encodes the expression into a sentence vector, each scale is multiplied
with that vector, a top-down and bottom-up pyramid mixes the scales, a
GARAN attention (collect and diffuse) weighs the stride-32 map by the
expression, and a YOLOX-style anchor-free head predicts one box.
"""
from typing import Dict, List, Optional

from torch import Tensor, nn

from mmvg.registry import MODELS
from mmvg.structures import VGSampleList
from .base_grounder import BaseGrounder

#: The keys of the backbone's maps in :meth:`SimREC.extract_visual_feat`,
#: finest first. One batch-first tensor per key, so that
#: :meth:`~BaseGrounder.predict_shared` repeats each per expression.
VISUAL_LEVELS = ('stride8', 'stride16', 'stride32')


@MODELS.register_module()
class SimREC(BaseGrounder):
    """SimREC with the official module layout.

    Attribute names map one to one to the official checkpoint's prefixes
    (``visual_encoder`` -> ``backbone``, ``lang_encoder`` ->
    ``text_encoder``, ``fusion_manner`` -> ``fusions``,
    ``multi_scale_manner`` -> ``neck``, ``attention_manner`` ->
    ``attention``); tools/model_converters/simrec_to_mmvg.py renames them.

    The image is encoded without the expression, so several expressions
    about one image share one backbone pass (:meth:`predict_shared`).

    Args:
        backbone (dict): The visual backbone (``CSPDarkNetV6``); it returns
            the stride-8/16/32 maps.
        text_encoder (dict): The text encoder (``GRUSATextEncoder``); its
            ``sent_feat`` drives the fusion.
        fusions (list[dict]): One ``SimpleFusion`` per backbone output,
            finest first.
        neck (dict): The ``MultiScaleFusion`` pyramid.
        attention (dict): The ``GaranAttention`` over the stride-32 map.
        head (dict): The box head (``SimRECHead``); it reads ``top``.
        aux_heads (dict[str, dict], optional): Auxiliary heads by name.
            Defaults to None.
        data_preprocessor (dict, optional): Usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 fusions: List[dict],
                 neck: dict,
                 attention: dict,
                 head: dict,
                 aux_heads: Optional[Dict[str, dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.fusions = nn.ModuleList(MODELS.build(cfg) for cfg in fusions)
        self.neck = MODELS.build(neck)
        self.attention = MODELS.build(attention)
        self.build_heads(head, aux_heads)

    def extract_visual_feat(self, inputs: Tensor,
                            data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The backbone's maps by :data:`VISUAL_LEVELS`."""
        return dict(zip(VISUAL_LEVELS, self.backbone(inputs)))

    def fuse_feat(self, visual_feats: Dict[str, Tensor],
                  data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Weigh each scale by the sentence vector, mix the scales, and
        attend over the coarsest one.

        Returns:
            dict: ``top`` (B, C, H/32, W/32) after the GARAN attention,
            which the head reads; ``bottom`` (B, C, H/8, W/8), the finest
            pyramid level; ``attention_map`` (B, H/32 * W/32), the GARAN
            map logits; and the backbone's maps by :data:`VISUAL_LEVELS`,
            for auxiliary heads.
        """
        sent = self.extract_text_feat(data_samples)['sent_feat']
        fused = [
            fusion(visual_feats[level], sent)
            for fusion, level in zip(self.fusions, VISUAL_LEVELS)
        ]
        bottom, _, top = self.neck(fused)
        top, attention_map, _ = self.attention(sent, top)
        return dict(
            top=top,
            bottom=bottom,
            attention_map=attention_map,
            **visual_feats)

    def heatmaps(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The GARAN attention map at stride 32."""
        return dict(
            attention=attention_grid(feats['attention_map'], feats['top']))


def attention_grid(logits: Tensor, feat: Tensor) -> Tensor:
    """GARAN map logits (B, h * w) as (B, h, w) probabilities on the grid
    of ``feat``."""
    return logits.sigmoid().reshape(logits.size(0), *feat.shape[-2:])
