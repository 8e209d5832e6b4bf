# Copyright (c) mmvg contributors. All rights reserved.
import mmdet.engine  # noqa: F401

from .freeze_modules_hook import FreezeModulesHook
from .vg_visualization_hook import VGVisualizationHook

__all__ = ['FreezeModulesHook', 'VGVisualizationHook']
