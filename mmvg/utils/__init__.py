# Copyright (c) mmvg contributors. All rights reserved.
from .amp import setup_amp
from .config_aliases import CONFIG_ALIASES, resolve_config_path
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'setup_amp', 'CONFIG_ALIASES',
    'resolve_config_path'
]
