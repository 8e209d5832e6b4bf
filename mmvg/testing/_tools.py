# Copyright (c) mmvg contributors. All rights reserved.
"""Run mmvg's command-line tools as a user would, from tests."""
import importlib.util
import os
import os.path as osp
import socket
import subprocess
import sys
from types import ModuleType
from typing import List, Optional, Sequence

from ._utils import _PACKAGE_DIR, get_resource_dir


def free_port() -> int:
    """A free TCP port on localhost, for a process group's rendezvous."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def get_tool_path(path: str, package_dir: Optional[str] = None) -> str:
    """The absolute path of a script under ``tools/``.

    Args:
        path (str): Path relative to ``tools/``, e.g. ``'train.py'``.
        package_dir (str, optional): The ``mmvg`` package directory.

    Returns:
        str: The script.
    """
    full = osp.join(get_resource_dir('tools', package_dir), path)
    if not osp.isfile(full):
        raise FileNotFoundError(f'No tool {path} at {full}.')
    return full


def import_tool(path: str, package_dir: Optional[str] = None) -> ModuleType:
    """Import a script under ``tools/`` (not a package) as a module.

    Args:
        path (str): Path relative to ``tools/``, e.g.
            ``'model_converters/lavt_to_mmvg.py'``.
        package_dir (str, optional): The ``mmvg`` package directory.

    Returns:
        ModuleType: The script, executed as a module named after its file.
    """
    full = get_tool_path(path, package_dir)
    name = osp.splitext(osp.basename(full))[0]
    spec = importlib.util.spec_from_file_location(name, full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _torchrun_command(nproc: int) -> List[str]:
    """The command line that starts a script in ``nproc`` processes
    through torchrun, rendezvous on a free local port; the script and its
    arguments follow."""
    return [
        sys.executable, '-m', 'torch.distributed.run',
        f'--nproc_per_node={nproc}', '--master_addr=127.0.0.1',
        f'--master_port={free_port()}'
    ]


def run_distributed(script: str,
                    args: Sequence[str] = (),
                    nproc: int = 2,
                    timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a Python script in ``nproc`` processes through torchrun (gloo on
    CPU), one thread each.

    Args:
        script (str): The script (a test writes it to ``tmp_path``).
        args (Sequence[str]): Its arguments.
        nproc (int): Number of processes. Defaults to 2.
        timeout (int): Seconds before the run is killed.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr`` text.

    Raises:
        AssertionError: The run failed; the message holds its output's
            tail.
    """
    cmd = _torchrun_command(nproc) + [str(script)] + [str(a) for a in args]
    return _run_checked(cmd, dict(os.environ, OMP_NUM_THREADS='1'), timeout)


def run_tool(args: List[str],
             nproc: int = 1,
             timeout: int = 300,
             check: bool = True,
             env: Optional[dict] = None,
             launcher: str = 'pytorch') -> subprocess.CompletedProcess:
    """Run a tool in a fresh process, as a user would.

    Args:
        args (list[str]): The script, relative to ``tools/`` with or
            without the ``tools/`` prefix (``'tools/train.py'``), then its
            arguments.
        nproc (int): With more than 1, start it through torchrun (gloo on
            CPU) with ``--launcher pytorch``, or through ``horovodrun
            --gloo`` with ``launcher='horovod'``.
        timeout (int): Seconds before the run is killed.
        check (bool): Raise with the output's tail when it fails.
        env (dict, optional): Environment; defaults to this process's.
            ``OMP_NUM_THREADS`` defaults to 1; the folder holding this
            ``mmvg`` is put first on ``PYTHONPATH``.
        launcher (str): ``'pytorch'`` or ``'horovod'``, for ``nproc > 1``.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr`` text.
    """
    script, *rest = args
    if script.startswith('tools/'):
        script = script[len('tools/'):]
    script = get_tool_path(script)
    env = dict(os.environ if env is None else env)
    env.setdefault('OMP_NUM_THREADS', '1')
    # The child imports the mmvg this process imported, installed or not.
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (osp.dirname(_PACKAGE_DIR), env.get('PYTHONPATH')) if p)
    if nproc > 1 and launcher == 'horovod':
        # The horovodrun installed beside this interpreter.
        cmd = [
            osp.join(osp.dirname(sys.executable), 'horovodrun'), '-np',
            str(nproc), '-H', f'localhost:{nproc}', '--gloo', sys.executable
        ]
    elif nproc > 1:
        cmd = _torchrun_command(nproc)
        rest = rest + ['--launcher', 'pytorch']
    else:
        cmd = [sys.executable]
    cmd = cmd + [script] + rest
    # From the checkout (or the folder above .mim/tools), where relative
    # paths such as data/ resolve as in the docs.
    return _run_checked(
        cmd, env, timeout, check, cwd=osp.dirname(osp.dirname(script)))


def _run_checked(cmd: List[str],
                 env: dict,
                 timeout: int,
                 check: bool = True,
                 cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run a command capturing its output; with ``check``, raise with the
    output's tail when it fails."""
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed:\n'
                             f'{result.stdout[-4000:]}\n'
                             f'{result.stderr[-6000:]}')
    return result


def consolidate(path: str) -> dict:
    """A plain checkpoint dict from any saved checkpoint, by
    ``tools/model_converters/sharded_to_pth.py``."""
    return import_tool('model_converters/sharded_to_pth.py').consolidate(path)
