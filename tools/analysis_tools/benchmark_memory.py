# Copyright (c) mmvg contributors. All rights reserved.
"""Peak memory per process under DDP, DeepSpeed ZeRO-2 and ZeRO-3.

    python tools/analysis_tools/benchmark_memory.py CONFIG \\
        --strategies ddp zero2 zero3 --nproc 2 --iters 3

For each strategy the config's training runs for ``--iters`` iterations on
``--nproc`` processes (torchrun); every process then reports its peak
resident memory (CPU RSS) and, with CUDA, its peak allocated GPU memory.
The table lists the mean over the processes. ``RSS after import`` is the
process before the runner is built (torch, mmvg and DeepSpeed loaded), so
``RSS peak - RSS after import`` is what the model, optimizer and data take.
"""
import argparse
import json
import os
import os.path as osp
import resource
import socket
import subprocess
import sys
import tempfile

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STRATEGY_BASES = {
    'ddp': None,
    'zero2': 'configs/_base_/strategies/deepspeed_zero2.py',
    'zero3': 'configs/_base_/strategies/deepspeed_zero3.py',
    'fsdp': 'configs/_base_/strategies/fsdp.py',
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Peak memory per process of a training config under '
        'several distributed strategies')
    parser.add_argument('config', help='training config (no strategy)')
    parser.add_argument(
        '--strategies',
        nargs='+',
        default=['ddp', 'zero2', 'zero3'],
        choices=sorted(STRATEGY_BASES))
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides passed to every run')
    # internal: the per-process worker started through torchrun
    parser.add_argument('--worker-strategy', help=argparse.SUPPRESS)
    parser.add_argument('--worker-out', help=argparse.SUPPRESS)
    return parser.parse_args()


def _rss_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(args: argparse.Namespace) -> None:
    """Train on this rank and write its peak memory to a JSON file."""
    import torch
    from mmengine.config import Config, DictAction
    from mmengine.registry import RUNNERS, init_default_scope

    from mmvg.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    rss_import = _rss_mib()
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    base = STRATEGY_BASES[args.worker_strategy]
    if base is not None:
        strategy = Config.fromfile(osp.join(REPO_ROOT, base))
        cfg.runner_type = strategy.runner_type
        cfg.strategy = strategy.strategy
        if not torch.cuda.is_available() and 'fp16' in cfg.strategy:
            # DeepSpeed has no fp16 kernels on CPU
            cfg.strategy.fp16.enabled = False
    cfg.merge_from_dict({
        key: DictAction._parse_iterable(value)
        for key, value in (o.split('=', 1) for o in args.cfg_options)
    })
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=args.iters, val_interval=10**9)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.work_dir = tempfile.mkdtemp(prefix='benchmark_memory_')
    cfg.launcher = 'pytorch'
    cfg.setdefault('runner_type', 'VGRunner')
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    runner = RUNNERS.build(cfg)
    runner.train()
    result = dict(rss_import=rss_import, rss_peak=_rss_mib())
    if torch.cuda.is_available():
        result['cuda_peak'] = torch.cuda.max_memory_allocated() / 2**20
    rank = int(os.environ.get('RANK', 0))
    with open(f'{args.worker_out}.{rank}.json', 'w') as f:
        json.dump(result, f)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def measure(args: argparse.Namespace, strategy: str) -> dict:
    """Run one strategy and average the processes' reports."""
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'memory')
        cmd = [
            sys.executable, '-m', 'torch.distributed.run',
            f'--nproc_per_node={args.nproc}', f'--master_port={_free_port()}',
            osp.abspath(__file__), args.config, '--worker-strategy', strategy,
            '--worker-out', out, '--iters',
            str(args.iters)
        ]
        if args.cfg_options:
            cmd += ['--cfg-options', *args.cfg_options]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f'{strategy} failed:\n{result.stderr[-4000:]}')
        reports = []
        for rank in range(args.nproc):
            with open(f'{out}.{rank}.json') as f:
                reports.append(json.load(f))
    return {
        key: sum(r[key] for r in reports) / len(reports)
        for key in reports[0]
    }


def main() -> None:
    args = parse_args()
    if args.worker_strategy:
        run_worker(args)
        return
    rows = [(strategy, measure(args, strategy))
            for strategy in args.strategies]
    header = (f'{"strategy":<10}{"RSS after import (MiB)":>24}'
              f'{"RSS peak (MiB)":>16}{"peak - import":>15}')
    if 'cuda_peak' in rows[0][1]:
        header += f'{"CUDA peak (MiB)":>17}'
    print(f'{args.config}: {args.nproc} processes, {args.iters} iterations, '
          'mean per process')
    print(header)
    for strategy, row in rows:
        line = (f'{strategy:<10}{row["rss_import"]:>24.0f}'
                f'{row["rss_peak"]:>16.0f}'
                f'{row["rss_peak"] - row["rss_import"]:>15.0f}')
        if 'cuda_peak' in row:
            line += f'{row["cuda_peak"]:>17.0f}'
        print(line)


if __name__ == '__main__':
    main()
