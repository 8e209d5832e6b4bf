# Copyright (c) mmvg contributors. All rights reserved.
from .lavt_swin import LAVTSwinTransformer

__all__ = ['LAVTSwinTransformer']
