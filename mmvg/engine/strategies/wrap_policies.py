# Copyright (c) mmvg contributors. All rights reserved.
"""FSDP wrapping policies that a config can name."""
from typing import Sequence

from torch import nn

from mmvg.registry import FUNCTIONS


@FUNCTIONS.register_module()
def wrap_by_class(
    module: nn.Module,
    recurse: bool,
    nonwrapped_numel: int,
    module_classes: Sequence = ()) -> bool:  # noqa: E125
    """Make every module of the named classes its own FSDP unit.

    torch's ``transformer_auto_wrap_policy`` takes class objects, which a
    text config cannot hold; this one takes class names, e.g.
    ``('BertLayer', 'SwinBlock')`` for LAVT's text layers and Swin blocks.

    Args:
        module (nn.Module): The module FSDP asks about.
        recurse (bool): Whether FSDP asks if it should look into the
            children (always yes) rather than if it should wrap ``module``.
        nonwrapped_numel (int): Parameters not yet wrapped (unused).
        module_classes (Sequence[str]): Class names of the wrap units.

    Returns:
        bool: Whether to recurse, or whether to wrap ``module``.
    """
    if recurse:
        return True
    return type(module).__name__ in module_classes
