# Copyright (c) mmvg contributors. All rights reserved.
from .base_grounder import BaseGrounder
from .lavt import LAVT, LAVTOne
from .vltvg import VLTVG

__all__ = ['BaseGrounder', 'LAVT', 'LAVTOne', 'VLTVG']
