# Copyright (c) mmvg contributors. All rights reserved.
"""ALVG: a BEiT-3 one-tower grounder with text-guided queries and
attention supervision (Wang et al., NeurIPS 2024; a SimVG descendant)."""
from typing import Dict

from torch import Tensor

from mmvg.registry import MODELS
from .simvg import SimVG


@MODELS.register_module()
class ALVG(SimVG):
    """ALVG for REC, RES (with the head's mask) and gRefCOCO: SimVG's
    encoder path (:class:`SimVG`) with :class:`~mmvg.models.heads.ALVGHead`,
    which decodes boxes and a mask from the patch and word features."""

    def heatmaps(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The head's image-text relevance score on the feature grid, in
        (0, 2), halved into (0, 1) (the head runs a second time, only when
        maps are asked)."""
        return dict(relevance=self.head(feats)[3] / 2)
