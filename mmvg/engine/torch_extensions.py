# Copyright (c) mmvg contributors. All rights reserved.
"""Stale locks of torch's just-in-time extension builds.

torch builds a JIT extension (DeepSpeed's CPU ops among them) in its
folder of the extensions cache under a ``lock`` file, and a process that
finds the lock waits until the file is gone: without a message and
without a limit. A build killed midway (Ctrl-C, a scheduler's time limit,
out of memory) leaves the lock, and every later run then waits forever.
:func:`check_deepspeed_ops` runs before DeepSpeed starts: it says when an
op is about to be built (or rebuilt, when another installation sharing the
cache built it), waits for another process's build with a message, and
turns a stale lock into an error that says how to remove it.
"""
import logging
import os
import os.path as osp
import shlex
import sys
import time
from typing import List, Optional

import torch
from mmengine.logging import MMLogger

# A lock older than this with no build process on this machine is stale.
# The shm_comm build takes 90 s of CPU time (two files compiled in
# parallel); 4.5 min of wall clock were measured on a 2-core machine
# loaded 3 times over.
STALE_LOCK_SECONDS = 600
# DeepSpeed's ops that mmvg's configs build, with what users call them.
_OP_TITLES = {'deepspeed_shm_comm': "DeepSpeed's shm_comm op"}


def extension_build_dir(name: str) -> str:
    """The folder in which torch builds the JIT extension ``name``.

    ``$TORCH_EXTENSIONS_DIR/<name>`` when the variable is set, else
    ``<user cache>/torch_extensions/py<XY>_<accelerator>/<name>``, as
    ``torch.utils.cpp_extension`` lays it out (without creating it).

    Args:
        name (str): The extension's name, e.g. ``'deepspeed_shm_comm'``.

    Returns:
        str: The build folder.
    """
    root = os.environ.get('TORCH_EXTENSIONS_DIR')
    if root is None:
        from torch.utils.cpp_extension import get_default_build_root
        if torch.version.hip is not None:
            accelerator = 'rocm' + torch.version.hip.replace('.', '')
        elif torch.version.cuda is not None:
            accelerator = 'cu' + torch.version.cuda.replace('.', '')
        else:
            accelerator = 'cpu'
        python = (f'py{sys.version_info.major}{sys.version_info.minor}'
                  f'{getattr(sys, "abiflags", "")}')
        root = osp.join(get_default_build_root(), f'{python}_{accelerator}')
    return osp.join(root, name)


def build_processes(build_dir: str) -> List[int]:
    """Processes of this machine that build in ``build_dir``.

    torch runs ninja in the build folder and the compilers inherit it, so
    a live build has processes working there. Processes of other users
    cannot be read and are left out (the cache is per user); without
    ``/proc`` none is found.

    Args:
        build_dir (str): A build folder.

    Returns:
        list[int]: Their process ids.
    """
    if not osp.isdir('/proc'):
        return []
    build_dir = osp.realpath(build_dir)
    mentioned = build_dir.encode()
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f'/proc/{entry}/cwd')
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read()
        except OSError:  # gone, or another user's
            continue
        if (cwd == build_dir or cwd.startswith(build_dir + os.sep)
                or mentioned in cmdline):
            pids.append(int(entry))
    return pids


def wait_for_build_lock(name: str,
                        title: Optional[str] = None,
                        stale_after: float = STALE_LOCK_SECONDS,
                        poll_seconds: float = 1.0,
                        logger: Optional[logging.Logger] = None) -> None:
    """Return once the build lock of extension ``name`` is gone.

    Torch would wait for it silently; here a lock held by a build says so
    (once), and a lock that no build holds fails.

    Args:
        name (str): The extension's name.
        title (str, optional): What users call it, for messages.
        stale_after (float): Seconds after which a lock with no build
            process on this machine is stale. Younger ones are waited for:
            the build may run on another node sharing the cache, or be
            about to start its compiler.
        poll_seconds (float): Seconds between two looks at the lock.
        logger (logging.Logger, optional): Defaults to mmengine's current
            logger.

    Raises:
        RuntimeError: The lock is stale; the message names it and gives
            the command that removes it.
    """
    logger = logger or MMLogger.get_current_instance()
    title = title or f'the {name} extension'
    lock = osp.join(extension_build_dir(name), 'lock')
    announced = False
    while True:
        try:
            age = time.time() - os.stat(lock).st_mtime
        except FileNotFoundError:
            return
        builders = build_processes(osp.dirname(lock))
        if not builders and age > stale_after:
            raise RuntimeError(
                f'{title} cannot be built: its build lock {lock} is '
                f'{_duration(age)} old and no process on this machine is '
                'building it. A build that was stopped (Ctrl-C, a time '
                'limit, out of memory) left it behind, and torch would wait '
                'for it forever. Remove it and start again:\n'
                f'    rm {shlex.quote(lock)}')
        if not announced:
            if builders:
                holder = ('processes ' + ', '.join(map(str, builders)) +
                          ' of this machine are building it.')
            else:
                holder = ('no process of this machine is building it. If no '
                          'run on another machine sharing this cache is '
                          f'either, stop and `rm {shlex.quote(lock)}`; it is '
                          f'taken for stale {_duration(stale_after)} after '
                          'it was made.')
            logger.warning(
                f'Waiting for another process to build {title}: its lock '
                f'{lock} was made {_duration(age)} ago; {holder}')
            announced = True
        time.sleep(poll_seconds)


def _duration(seconds: float) -> str:
    """``'42 s'`` below two minutes, else ``'61 min'``."""
    if seconds < 120:
        return f'{seconds:.0f} s'
    return f'{seconds / 60:.0f} min'


def deepspeed_jit_ops() -> List[str]:
    """The ops that DeepSpeed will build when it starts its communication.

    DeepSpeed's torch backend loads the shared-memory all-reduce op
    (``deepspeed_shm_comm``) on the CPU accelerator; it is compiled on
    first use unless it was built at install time (``DS_BUILD_SHM_COMM=1``)
    or is already loaded in this process.

    Returns:
        list[str]: Names of the ops to be compiled (JIT) in this process.
    """
    import deepspeed.ops
    from deepspeed.accelerator import get_accelerator
    from deepspeed.git_version_info import accelerator_name, installed_ops
    from deepspeed.ops.op_builder.builder import OpBuilder
    accelerator = get_accelerator()
    builder = accelerator.create_op_builder('ShareMemCommBuilder')
    if builder is None:
        return []
    name = builder.NAME
    prebuilt = (
        installed_ops.get(name, False)
        and accelerator_name == accelerator._name)
    if (not deepspeed.ops.__compatible_ops__.get(name, False) or prebuilt
            or name in OpBuilder._loaded_ops):
        return []
    return [name]


def built_elsewhere(build_dir: str, source_dir: str) -> bool:
    """Whether the build in ``build_dir`` compiled other sources.

    torch rebuilds an extension whose build commands changed; the commands
    name the sources' folder, so the extension that another installation
    (another virtual environment sharing the cache) built is rebuilt, and
    the two rebuild it in turn each time they alternate.

    Args:
        build_dir (str): The extension's build folder.
        source_dir (str): The folder of this installation's sources.

    Returns:
        bool: Whether its ``build.ninja`` exists and does not name
        ``source_dir``.
    """
    try:
        with open(osp.join(build_dir, 'build.ninja'), encoding='utf-8') as f:
            return source_dir not in f.read()
    except FileNotFoundError:
        return False


def check_deepspeed_ops(stale_after: float = STALE_LOCK_SECONDS,
                        logger: Optional[logging.Logger] = None) -> None:
    """Before DeepSpeed starts: wait for, or refuse, the locks of the ops it
    will build, and say when it is about to build one.

    Args:
        stale_after (float): See :func:`wait_for_build_lock`.
        logger (logging.Logger, optional): Defaults to mmengine's current
            logger.

    Raises:
        RuntimeError: A lock is stale (see :func:`wait_for_build_lock`).
    """
    logger = logger or MMLogger.get_current_instance()
    for name in deepspeed_jit_ops():
        title = _OP_TITLES.get(name, f"DeepSpeed's {name} op")
        wait_for_build_lock(
            name, title, stale_after=stale_after, logger=logger)
        build_dir = extension_build_dir(name)
        duration = ('(about 1 min on 2 idle cores, longer on a busy '
                    'machine); the run goes on when it is built.')
        if not osp.isfile(osp.join(build_dir, f'{name}.so')):
            logger.info(f'Building {title} in {build_dir}, once per machine '
                        f'{duration}')
        elif built_elsewhere(build_dir, _deepspeed_ops_dir()):
            logger.warning(
                f'Rebuilding {title} in {build_dir} {duration} Another '
                'DeepSpeed installation sharing this cache built it; the two '
                'rebuild it each time they alternate. Give each Python '
                'environment its own cache: export '
                'TORCH_EXTENSIONS_DIR=$VIRTUAL_ENV/torch_extensions')


def _deepspeed_ops_dir() -> str:
    """The folder of this DeepSpeed's op sources (``deepspeed/ops``)."""
    import deepspeed.ops
    return osp.dirname(osp.abspath(deepspeed.ops.__file__))
