# Copyright (c) mmvg contributors. All rights reserved.
"""Training throughput of one model under DDP (torchrun) and Horovod
(horovodrun), interleaved in one run.

    python tools/analysis_tools/benchmark_launchers.py \\
        tests/data/scale_out/vltvg_tiny.py \\
        tests/data/scale_out/vltvg_tiny_horovod.py --nproc 2 --iters 30

Each round trains the DDP config, then the Horovod config (alternating
which goes first), for ``--iters`` iterations on ``--nproc`` processes,
logging every iteration. The table gives, per backend, the median of the
logged iteration times after ``--warmup`` iterations over all rounds, and
the images per second that makes with the config's batch size.
"""
import argparse
import re
import statistics
import tempfile

from mmengine.config import Config

from mmvg.testing import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ddp_config', help='the config for torchrun (DDP)')
    parser.add_argument('horovod_config', help='the HorovodStrategy config')
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--rounds', type=int, default=2)
    return parser.parse_args()


def iteration_times(config: str, launcher: str, args) -> list:
    with tempfile.TemporaryDirectory() as work_dir:
        result = run_tool([
            'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
            f'train_cfg.max_iters={args.iters}',
            'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.interval=100000'
        ],
                          nproc=args.nproc,
                          launcher=launcher,
                          timeout=1800)
    log = result.stdout + result.stderr
    times = re.findall(r'Iter\(train\) \[\s*(\d+)/\d+\].*? time: ([0-9.]+)',
                       log)
    return [float(t) for i, t in times if int(i) > args.warmup]


def main() -> None:
    args = parse_args()
    runs = {
        'DDP': (args.ddp_config, 'pytorch'),
        'Horovod': (args.horovod_config, 'horovod')
    }
    times = {name: [] for name in runs}
    for round_index in range(args.rounds):
        names = list(runs)[::1 if round_index % 2 == 0 else -1]
        for name in names:
            times[name] += iteration_times(*runs[name], args)
    print(f'{args.nproc} processes, {args.rounds} rounds of {args.iters} '
          f'iterations, median after {args.warmup} warm-up iterations')
    print('| backend | s/iter | images/s | vs DDP |')
    print('|---|---|---|---|')
    baseline = statistics.median(times['DDP'])
    for name, (config, _) in runs.items():
        batch = Config.fromfile(config).train_dataloader.batch_size
        median = statistics.median(times[name])
        print(f'| {name} | {median:.4f} | {batch * args.nproc / median:.1f}'
              f' | {baseline / median:.2f}x |')


if __name__ == '__main__':
    main()
