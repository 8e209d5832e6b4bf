# Copyright (c) mmvg contributors. All rights reserved.
"""mmengine's data-parallel wrappers, made usable on CPU.

mmengine's ``Runner`` and strategies pass ``device_ids=[LOCAL_RANK]`` (DDP)
or ``device_id=LOCAL_RANK`` (FSDP), which torch rejects for a CPU module.
These subclasses carry the same names in mmvg's registry, so under
``default_scope='mmvg'`` the runner builds them instead, and they drop the
CUDA device index when CUDA is absent. On GPUs they change nothing.
"""
from functools import partial
from typing import Any

import torch
from mmengine.model import MMDistributedDataParallel as _MMDDP
from mmengine.model import MMFullyShardedDataParallel as _MMFSDP

from mmvg.registry import FUNCTIONS, MODEL_WRAPPERS


def _resolve_wrap_policy(policy: Any) -> Any:
    """Look a wrapping policy named in a config up in mmvg's registry.

    mmengine resolves a policy name in its root ``FUNCTIONS`` registry
    only, where a bare mmvg name such as ``'wrap_by_class'`` is not found.
    mmvg's registry finds its own functions, mmengine's and dotted import
    paths; anything else is left to mmengine.

    Args:
        policy: A policy name, a dict with ``type`` and the policy's
            keyword arguments, a callable or None.

    Returns:
        The policy, as a callable where the name was found.
    """
    if isinstance(policy, str):
        return FUNCTIONS.get(policy) or policy
    if isinstance(policy, dict) and isinstance(policy.get('type'), str):
        function = FUNCTIONS.get(policy['type'])
        if function is not None:
            kwargs = {k: v for k, v in policy.items() if k != 'type'}
            return partial(function, **kwargs)
    return policy


@MODEL_WRAPPERS.register_module()
class MMDistributedDataParallel(_MMDDP):
    """:class:`mmengine.model.MMDistributedDataParallel` that runs on CPU.

    Args:
        module (nn.Module): The model to wrap.
        **kwargs: As in ``DistributedDataParallel``. Without CUDA,
            ``device_ids`` and ``output_device`` are ignored.
    """

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        if not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module=module, **kwargs)


@MODEL_WRAPPERS.register_module()
class MMFullyShardedDataParallel(_MMFSDP):
    """:class:`mmengine.model.MMFullyShardedDataParallel` that runs on CPU.

    Args:
        module (nn.Module): The model to wrap.
        **kwargs: As in ``FullyShardedDataParallel``. Without CUDA,
            ``device_id`` becomes ``torch.device('cpu')``. An
            ``auto_wrap_policy`` named in a config may be one of mmvg's
            functions (e.g. ``wrap_by_class``).
    """

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        if not torch.cuda.is_available():
            kwargs['device_id'] = torch.device('cpu')
        if 'auto_wrap_policy' in kwargs:
            kwargs['auto_wrap_policy'] = _resolve_wrap_policy(
                kwargs['auto_wrap_policy'])
        super().__init__(module=module, **kwargs)
