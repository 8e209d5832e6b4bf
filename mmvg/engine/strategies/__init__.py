# Copyright (c) mmvg contributors. All rights reserved.
from .horovod import HorovodStrategy
from .strategies import DDPStrategy, DeepSpeedStrategy, FSDPStrategy
from .wrap_policies import wrap_by_class

__all__ = [
    'DDPStrategy', 'DeepSpeedStrategy', 'FSDPStrategy', 'HorovodStrategy',
    'wrap_by_class'
]
