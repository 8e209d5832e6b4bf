# Copyright (c) mmvg contributors. All rights reserved.
import mmdet.visualization  # noqa: F401

from .vg_local_visualizer import VGLocalVisualizer, expression_colors

__all__ = ['VGLocalVisualizer', 'expression_colors']
