# Copyright (c) mmvg contributors. All rights reserved.
from .checkpoint import load_checkpoint_file, restricted_getattr
from .crash_safety import (find_latest_complete_checkpoint,
                           is_complete_checkpoint)
from .distributed import init_dist
from .hooks import *  # noqa: F401,F403
from .loops import MultiSplitTestLoop
from .model_wrappers import (MMDistributedDataParallel,
                             MMFullyShardedDataParallel)
from .optimizers import VGOptimWrapperConstructor
from .runner import VGRunner
from .strategies import DDPStrategy, DeepSpeedStrategy, FSDPStrategy

__all__ = [
    'load_checkpoint_file', 'restricted_getattr', 'init_dist',
    'find_latest_complete_checkpoint', 'is_complete_checkpoint',
    'MMDistributedDataParallel', 'MMFullyShardedDataParallel', 'VGRunner',
    'MultiSplitTestLoop', 'DDPStrategy', 'DeepSpeedStrategy', 'FSDPStrategy',
    'VGOptimWrapperConstructor'
]
