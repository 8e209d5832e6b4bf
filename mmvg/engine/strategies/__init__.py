# Copyright (c) mmvg contributors. All rights reserved.
from .strategies import DDPStrategy, DeepSpeedStrategy, FSDPStrategy
from .wrap_policies import wrap_by_class

__all__ = ['DDPStrategy', 'DeepSpeedStrategy', 'FSDPStrategy', 'wrap_by_class']
