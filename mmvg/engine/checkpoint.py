# Copyright (c) mmvg contributors. All rights reserved.
"""Checkpoint loading that stays on ``torch.load(weights_only=True)``.

Since torch 2.6 ``torch.load`` refuses every global outside its allow-list,
and mmengine's checkpoints hold a few: the message hub's
:class:`HistoryBuffer`, numpy arrays, scalars and dtypes, and
``builtins.getattr`` (a buffer's ``statistics_methods`` pickles
``HistoryBuffer.mean`` as ``getattr(HistoryBuffer, 'mean')``). So mmengine
0.10.7 cannot resume its own runs.

Allow-listing ``getattr`` itself would let a crafted file reach any
attribute of any allowed object. Instead ``builtins.getattr`` is bound to
:func:`restricted_getattr`, which resolves exactly the attributes mmengine
writes and refuses the rest. Every local checkpoint, the run's own ones as
well as third-party files given as ``load_from`` or to a converter, goes
through the same ``weights_only=True`` path: nothing here switches safety
off.
"""
import os.path as osp
import pickle
from typing import Any, Callable, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

# numpy 2 pickles as ``numpy._core``; files written under numpy 1 name
# ``numpy.core``. Both spellings resolve to the same objects.
_NUMPY_CORE_GLOBALS = [
    (np._core.multiarray._reconstruct, 'multiarray._reconstruct'),
    (np._core.multiarray.scalar, 'multiarray.scalar'),
]
_NUMPY_DTYPES = [
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
    np.uint32, np.uint64, np.float16, np.float32, np.float64
]


def _history_buffer_statistics() -> set:
    """Names of the statistics a HistoryBuffer pickles by reference.

    The built-in ones are listed because the class only fills its registry
    when the first buffer is created, which in a fresh process resuming a
    run happens after unpickling; custom ones come from
    ``HistoryBuffer.register_statistics``.
    """
    return {'min', 'max', 'current', 'mean'} | set(
        HistoryBuffer._statistics_methods)


def restricted_getattr(owner: Any, name: str) -> Any:
    """``getattr`` for unpickling, limited to what mmengine writes.

    Args:
        owner (Any): The object whose attribute is looked up.
        name (str): The attribute name.

    Returns:
        Any: ``getattr(owner, name)`` when the pair is allowed.

    Raises:
        pickle.UnpicklingError: For any other pair.
    """
    if owner is HistoryBuffer and name in _history_buffer_statistics():
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint')


def checkpoint_safe_globals() -> list:
    """The exact globals (besides torch's defaults) a checkpoint may hold.

    Returns:
        list: Entries for :func:`torch.serialization.safe_globals`.
    """
    safe = [
        HistoryBuffer, np.ndarray, np.dtype,
        (restricted_getattr, 'builtins.getattr')
    ]
    for obj, name in _NUMPY_CORE_GLOBALS:
        safe += [(obj, f'numpy._core.{name}'), (obj, f'numpy.core.{name}')]
    safe += [type(np.dtype(t)) for t in _NUMPY_DTYPES]
    return safe


def load_checkpoint_file(filename: str,
                         map_location: Union[str, Callable,
                                             None] = None) -> Any:
    """Load a local checkpoint with ``weights_only=True``.

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | Callable, optional): As in :func:`torch.load`.

    Returns:
        Any: The loaded object, usually a dict with ``state_dict``.

    Raises:
        ValueError: When ``filename`` is a sharded checkpoint directory;
            the message names the converter.
        FileNotFoundError: When ``filename`` is not a file.
        pickle.UnpicklingError: When the file holds a global outside the
            allow-list; the message names the file.
    """
    filename = osp.expanduser(filename)
    if osp.isdir(filename):
        raise ValueError(
            f'Checkpoint {filename} is a directory of per-rank parts '
            '(DeepSpeed or FSDP local), which only a run of the same '
            'strategy resumes from. Convert it to one file first: python '
            'tools/model_converters/sharded_to_pth.py '
            f'{filename} OUT.pth')
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} can not be found.')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(
            f'Checkpoint {filename} holds objects that mmvg does not load '
            'with weights_only=True. If it comes from another codebase, '
            'convert it with the matching script in tools/model_converters. '
            f'Details: {error}') from error


# mmengine's local loader calls torch.load without an allow-list; replace
# it so that Runner.resume, load_from, init_cfg=Pretrained and the
# strategies' load_checkpoint all take the path above.
CheckpointLoader.register_scheme(
    prefixes='', loader=load_checkpoint_file, force=True)
