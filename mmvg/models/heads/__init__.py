# Copyright (c) mmvg contributors. All rights reserved.
from .lavt_mask_head import LAVTMaskHead
from .vltvg_head import VLTVGHead

__all__ = ['LAVTMaskHead', 'VLTVGHead']
