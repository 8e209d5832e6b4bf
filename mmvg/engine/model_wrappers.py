# Copyright (c) mmvg contributors. All rights reserved.
"""mmengine's data-parallel wrappers, made usable on CPU.

mmengine's ``Runner`` and strategies pass ``device_ids=[LOCAL_RANK]`` (DDP)
or ``device_id=LOCAL_RANK`` (FSDP), which torch rejects for a CPU module.
These subclasses carry the same names in mmvg's registry, so under
``default_scope='mmvg'`` the runner builds them instead, and they drop the
CUDA device index when CUDA is absent. On GPUs they change nothing.
"""
import torch
from mmengine.model import MMDistributedDataParallel as _MMDDP
from mmengine.model import MMFullyShardedDataParallel as _MMFSDP

from mmvg.registry import MODEL_WRAPPERS


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
            ``device_id`` becomes ``torch.device('cpu')``.
    """

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        if not torch.cuda.is_available():
            kwargs['device_id'] = torch.device('cpu')
        super().__init__(module=module, **kwargs)
