# Copyright (c) mmvg contributors. All rights reserved.
from .formatting import PackVGInputs
from .geometric import LetterBox, RandomCropKeepTarget, RandomFlipVG, VGPad
from .loading import LoadVGAnnotations, LoadVGImage
from .text import CleanText, swap_left_right

__all__ = [
    'LoadVGImage', 'LoadVGAnnotations', 'CleanText', 'swap_left_right',
    'RandomFlipVG', 'RandomCropKeepTarget', 'VGPad', 'LetterBox',
    'PackVGInputs'
]
