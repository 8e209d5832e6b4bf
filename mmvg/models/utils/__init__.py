# Copyright (c) mmvg contributors. All rights reserved.
from .ema import RampUpEMA
from .postprocess import (boxes_to_original, crop_to_image, image_window,
                          mask_to_box, masks_to_original, pad_offset,
                          padding_mask)

__all__ = [
    'boxes_to_original', 'crop_to_image', 'image_window', 'mask_to_box',
    'masks_to_original', 'pad_offset', 'padding_mask', 'RampUpEMA'
]
