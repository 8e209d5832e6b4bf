# Copyright (c) mmvg contributors. All rights reserved.
from .batch_resize import BatchMultiScaleResize
from .vg_data_preprocessor import VGDataPreprocessor

__all__ = ['BatchMultiScaleResize', 'VGDataPreprocessor']
