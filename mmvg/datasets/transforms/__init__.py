# Copyright (c) mmvg contributors. All rights reserved.
from .formatting import PackVGInputs
from .geometric import (LargeScaleJitter, LetterBox, RandomCropKeepTarget,
                        RandomFlipVG, VGPad, VGResize)
from .loading import LoadVGAnnotations, LoadVGImage, LoadVGProposals
from .text import CleanText, swap_left_right

__all__ = [
    'LoadVGImage', 'LoadVGAnnotations', 'CleanText', 'swap_left_right',
    'RandomFlipVG', 'RandomCropKeepTarget', 'LargeScaleJitter', 'VGPad',
    'VGResize', 'LetterBox', 'LoadVGProposals', 'PackVGInputs'
]
