# Copyright (c) mmvg contributors. All rights reserved.
from .base_grounder import BaseGrounder
from .lavt import LAVT, LAVTOne
from .mcn import MCN
from .simrec import SimREC
from .vlbert import VLBERT
from .vltvg import VLTVG

__all__ = [
    'BaseGrounder', 'LAVT', 'LAVTOne', 'MCN', 'SimREC', 'VLBERT', 'VLTVG'
]
