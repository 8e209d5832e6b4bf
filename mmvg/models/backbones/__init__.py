# Copyright (c) mmvg contributors. All rights reserved.
from .cspdarknet_v6 import CSPDarkNetV6
from .darknet53 import DarkNet53
from .lavt_swin import LAVTSwinTransformer

__all__ = ['LAVTSwinTransformer', 'CSPDarkNetV6', 'DarkNet53']
