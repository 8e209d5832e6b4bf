# Copyright (c) mmvg contributors. All rights reserved.
from .vg_optim_wrapper_constructor import VGOptimWrapperConstructor

__all__ = ['VGOptimWrapperConstructor']
