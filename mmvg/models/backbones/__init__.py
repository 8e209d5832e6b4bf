# Copyright (c) mmvg contributors. All rights reserved.
from .beit3 import BEiT3
from .cspdarknet_v6 import CSPDarkNetV6
from .darknet53 import DarkNet53
from .lavt_swin import LAVTSwinTransformer

__all__ = ['BEiT3', 'LAVTSwinTransformer', 'CSPDarkNetV6', 'DarkNet53']
