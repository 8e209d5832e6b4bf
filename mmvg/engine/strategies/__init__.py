# Copyright (c) mmvg contributors. All rights reserved.
from .strategies import DDPStrategy, DeepSpeedStrategy, FSDPStrategy

__all__ = ['DDPStrategy', 'DeepSpeedStrategy', 'FSDPStrategy']
