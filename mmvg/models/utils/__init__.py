# Copyright (c) mmvg contributors. All rights reserved.
from .postprocess import (boxes_to_original, crop_to_image, mask_to_box,
                          masks_to_original)

__all__ = [
    'boxes_to_original', 'crop_to_image', 'mask_to_box', 'masks_to_original'
]
