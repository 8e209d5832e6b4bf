# Copyright (c) mmvg contributors. All rights reserved.
from .cell_category_head import CellCategoryHead
from .lavt_mask_head import LAVTMaskHead
from .vltvg_head import VLTVGHead

__all__ = ['CellCategoryHead', 'LAVTMaskHead', 'VLTVGHead']
