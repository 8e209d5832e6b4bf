# Copyright (c) mmvg contributors. All rights reserved.
from ._inputs import demo_vg_inputs

__all__ = ['demo_vg_inputs']
