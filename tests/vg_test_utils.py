# Copyright (c) mmvg contributors. All rights reserved.
"""Helpers shared by the tests (imported as ``vg_test_utils``)."""
import importlib.util
import os
import os.path as osp
import socket
import subprocess
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_DIR = osp.join(REPO_ROOT, 'tests', 'data', 'toy')
TOY_CONFIG = osp.join(TOY_DIR, 'toy_grounder.py')
# The tiny VLTVG/LAVT configs and their test modules.
SCALE_OUT_DIR = osp.join(REPO_ROOT, 'tests', 'data', 'scale_out')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_tool(args: list,
             nproc: int = 1,
             timeout: int = 300,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run a script under ``tools/`` as a user would, in a fresh process.

    With ``nproc > 1`` it is started through torchrun (gloo on CPU).
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [TOY_DIR, SCALE_OUT_DIR, REPO_ROOT,
         env.get('PYTHONPATH', '')])
    env.setdefault('OMP_NUM_THREADS', '1')
    if nproc > 1:
        cmd = [
            sys.executable, '-m', 'torch.distributed.run',
            f'--nproc_per_node={nproc}', f'--master_port={free_port()}'
        ]
        args = args + ['--launcher', 'pytorch']
    else:
        cmd = [sys.executable]
    result = subprocess.run(
        cmd + args,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(cmd + args)} failed:\n'
                             f'{result.stdout[-4000:]}\n'
                             f'{result.stderr[-6000:]}')
    return result


def consolidate(path: str) -> dict:
    """A plain checkpoint dict from any saved checkpoint, by
    ``tools/model_converters/sharded_to_pth.py``."""
    converter = osp.join(REPO_ROOT, 'tools', 'model_converters',
                         'sharded_to_pth.py')
    spec = importlib.util.spec_from_file_location('sharded_to_pth', converter)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.consolidate(path)
