# Copyright (c) mmvg contributors. All rights reserved.
from .vg_data_preprocessor import VGDataPreprocessor

__all__ = ['VGDataPreprocessor']
