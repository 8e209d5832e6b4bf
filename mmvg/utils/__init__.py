# Copyright (c) mmvg contributors. All rights reserved.
from .amp import setup_amp
from .setup_env import register_all_modules

__all__ = ['register_all_modules', 'setup_amp']
