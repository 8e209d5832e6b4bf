# Copyright (c) mmvg contributors. All rights reserved.
"""Helpers for tests: demo inputs, the configs' models, the tools.

The toy grounder (:mod:`mmvg.testing.toy`) and the in-memory dataset
(:mod:`mmvg.testing.in_memory`) register themselves only when imported.
"""
from ._inputs import demo_vg_inputs, demo_vg_record
from ._quick_start import quick_start_checkpoint, shapes_image
from ._tools import (consolidate, free_port, get_tool_path, import_tool,
                     run_distributed, run_tool)
from ._utils import (build_on_meta, get_config_path, get_grounder_cfg,
                     get_resource_dir, tiny_alvg_head_cfg, tiny_simvg_head_cfg)

__all__ = [
    'tiny_alvg_head_cfg', 'tiny_simvg_head_cfg', 'build_on_meta',
    'demo_vg_inputs', 'demo_vg_record', 'get_config_path', 'get_grounder_cfg',
    'get_resource_dir', 'get_tool_path', 'import_tool', 'run_tool',
    'run_distributed', 'free_port', 'consolidate', 'quick_start_checkpoint',
    'shapes_image'
]
