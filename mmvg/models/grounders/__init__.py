# Copyright (c) mmvg contributors. All rights reserved.
from .alvg import ALVG
from .base_grounder import BaseGrounder
from .lavt import LAVT, LAVTOne
from .mcn import MCN
from .simrec import SimREC
from .simvg import SimVG
from .vlbert import VLBERT
from .vltvg import VLTVG

__all__ = [
    'ALVG', 'BaseGrounder', 'LAVT', 'LAVTOne', 'MCN', 'SimREC', 'SimVG',
    'VLBERT', 'VLTVG'
]
