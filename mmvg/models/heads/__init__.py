# Copyright (c) mmvg contributors. All rights reserved.
from .alvg_head import ALVGHead
from .base_vg_head import (BaseVGHead, check_categories, first_gt_boxes,
                           gt_categories, gt_field, gt_mask_union, require_gt,
                           unpack_vg_gt_instances)
from .box_map_head import BoxMapHead
from .cell_category_head import CellCategoryHead
from .lavt_mask_head import LAVTMaskHead
from .mcn_head import MCNHead
from .region_category_head import RegionCategoryHead
from .region_rank_head import RegionRankHead, regions_on_target
from .simrec_head import SimRECHead
from .simvg_head import SimVGHead
from .vltvg_head import VLTVGHead

__all__ = [
    'ALVGHead', 'BaseVGHead', 'BoxMapHead', 'CellCategoryHead', 'LAVTMaskHead',
    'MCNHead', 'RegionCategoryHead', 'RegionRankHead', 'regions_on_target',
    'gt_categories', 'SimRECHead', 'SimVGHead', 'VLTVGHead', 'first_gt_boxes',
    'check_categories', 'gt_field', 'gt_mask_union', 'require_gt',
    'unpack_vg_gt_instances'
]
