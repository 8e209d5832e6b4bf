# Copyright (c) mmvg contributors. All rights reserved.
from .inference import init_grounder
from .vg_inferencer import VGInferencer, inference_grounder

__all__ = ['init_grounder', 'inference_grounder', 'VGInferencer']
