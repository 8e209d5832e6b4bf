# Copyright (c) mmvg contributors. All rights reserved.
from .inference import inference_grounder, init_grounder

__all__ = ['init_grounder', 'inference_grounder']
