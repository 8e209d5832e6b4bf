# Copyright (c) mmvg contributors. All rights reserved.
from .base_grounder import BaseGrounder
from .vltvg import VLTVG

__all__ = ['BaseGrounder', 'VLTVG']
