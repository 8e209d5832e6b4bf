# Copyright (c) mmvg contributors. All rights reserved.
"""Benchmark data loading.

``pipeline``: samples/s of a config's train (or val) pipeline through a
DataLoader.

``load``: time to build a dataset from a canonical file (``--generate N``
writes a synthetic one with N expressions first) and the memory of the
main process plus N dataloader workers that read every record. RSS counts
shared pages once per process, so it over-states a forked worker's cost;
PSS shares them out and USS counts private pages only. With ``--trees``,
only the build time, of each source tree in turn (a fresh process that
imports mmvg from that tree), ``--repeat`` times, with the medians: a
before/after comparison in one run.

Examples::

    python tools/analysis_tools/benchmark_data.py pipeline \
        configs/_base_/datasets/synthetic.py --num-samples 400
    python tools/analysis_tools/benchmark_data.py load /tmp/1m.jsonl \
        --generate 1000000 --num-workers 1 4
    git worktree add /tmp/before <commit>
    python tools/analysis_tools/benchmark_data.py load /tmp/1m.jsonl \
        --generate 1000000 --trees /tmp/before . --repeat 3
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader, Dataset

from mmvg.datasets import VGDataset, dump_canonical
from mmvg.registry import DATASETS
from mmvg.utils import register_all_modules


def process_memory(pid: int) -> Dict[str, int]:
    """RSS, PSS and USS of a process in bytes (Linux smaps_rollup)."""
    fields = {}
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == 'kB':
                fields[parts[0].rstrip(':')] = int(parts[1]) * 1024
    return dict(
        rss=fields.get('Rss', 0),
        pss=fields.get('Pss', 0),
        uss=fields.get('Private_Clean', 0) + fields.get('Private_Dirty', 0))


def children(pid: int) -> List[int]:
    """Direct child processes (the dataloader workers)."""
    path = f'/proc/{pid}/task/{pid}/children'
    with open(path) as f:
        return [int(p) for p in f.read().split()]


def generate(path: str, num: int) -> None:
    """Write a canonical file with ``num`` RefCOCO-like expressions."""
    metainfo = dict(dataset='generated', split_by='none', split='train')
    words = ['man', 'left', 'red', 'shirt', 'the', 'on', 'woman', 'chair']
    dump_canonical(path, metainfo, (dict(
        img_path=f'coco/train2014/COCO_train2014_{i // 8:012d}.jpg',
        height=480,
        width=640,
        image_id=i // 8,
        ref_id=i // 3,
        sent_id=i,
        text=' '.join(words[(i + k) % 8] for k in range(6)),
        bboxes=[[10.5 + i % 100, 20.25, 200.0, 300.75]],
        mask=None,
        category_id=1,
        no_target=False) for i in range(num)))


# Run in a fresh process per tree: the time to build the dataset, its
# length and the mmvg actually imported.
_TIME_BUILD = """import sys, time
import mmvg
from mmvg.datasets import VGDataset
start = time.time()
dataset = VGDataset(ann_file=sys.argv[1])
print(time.time() - start, len(dataset), mmvg.__file__)
"""


def time_trees(ann_file: str, trees: Sequence[str], repeat: int) -> None:
    """Print the build time of ``ann_file`` with the mmvg of each tree,
    the trees taking turns (in alternating order), and the medians."""
    times: Dict[str, List[float]] = {tree: [] for tree in trees}
    for run in range(repeat):
        for tree in trees if run % 2 == 0 else trees[::-1]:
            root = osp.abspath(tree)
            proc = subprocess.run(
                [sys.executable, '-c', _TIME_BUILD,
                 osp.abspath(ann_file)],
                cwd=root,
                env=dict(os.environ, PYTHONPATH=root),
                capture_output=True,
                text=True)
            if proc.returncode:
                raise RuntimeError(f'{tree}: {proc.stderr}')
            # The last line: imports (DeepSpeed's) may print before it.
            seconds, num, module = proc.stdout.splitlines()[-1].split()
            if not module.startswith(root + os.sep):
                raise RuntimeError(f'{tree} imported mmvg from {module}; '
                                   'is another mmvg installed first?')
            times[tree].append(float(seconds))
            print(f'run {run + 1}, {tree}: loaded {num} records in '
                  f'{float(seconds):.2f} s')
    for tree, values in times.items():
        print(f'{tree}: median {statistics.median(values):.2f} s over '
              f'{len(values)} runs')


class _ReadAll(Dataset):
    """Reads one record per index, as a training epoch would."""

    def __init__(self, dataset: VGDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> int:
        return len(self.dataset.get_data_info(idx)['text'])


def bench_load(args) -> None:
    if args.generate:
        start = time.time()
        generate(args.ann_file, args.generate)
        print(f'generated {args.generate} expressions in '
              f'{time.time() - start:.1f} s ({args.ann_file}, '
              f'{os.path.getsize(args.ann_file) / 2**20:.0f} MiB)')
    if args.trees:
        time_trees(args.ann_file, args.trees, args.repeat)
        return
    start = time.time()
    dataset = VGDataset(ann_file=args.ann_file)
    print(f'loaded {len(dataset)} records in {time.time() - start:.2f} s; '
          f'main process: {_fmt(process_memory(os.getpid()))}')
    for workers in args.num_workers:
        loader = DataLoader(
            _ReadAll(dataset),
            batch_size=1024,
            num_workers=workers,
            collate_fn=len,
            persistent_workers=workers > 0)
        total, snapshot = 0, None
        for step, n in enumerate(loader):
            total += n
            if step == int(len(loader) * 0.9):
                pids = [os.getpid()] + children(os.getpid())
                snapshot = [process_memory(p) for p in pids]
        assert total == len(dataset)
        summed = {k: sum(m[k] for m in snapshot) for k in snapshot[0]}
        print(f'{workers} workers, all records read: total (main + '
              f'{len(snapshot) - 1} workers) {_fmt(summed)}')
        del loader


def _fmt(mem: Dict[str, int]) -> str:
    return ', '.join(f'{k.upper()} {v / 2**20:.0f} MiB'
                     for k, v in mem.items())


def bench_pipeline(args) -> None:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        shuffle=True,
        collate_fn=pseudo_collate)
    torch.manual_seed(0)
    done, start = 0, None
    for batch in loader:
        if start is None:  # the first batch includes worker start-up
            start = time.time()
            continue
        done += len(batch['inputs'])
        if done >= args.num_samples:
            break
    elapsed = time.time() - start
    print(f'{args.split} pipeline: {done} samples in {elapsed:.1f} s = '
          f'{done / elapsed:.1f} samples/s ({args.num_workers} workers, '
          f'batch {args.batch_size})')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    pipe = sub.add_parser('pipeline', help='pipeline samples/s')
    pipe.add_argument('config')
    pipe.add_argument('--split', default='train', choices=['train', 'val'])
    pipe.add_argument('--num-samples', type=int, default=200)
    pipe.add_argument('--num-workers', type=int, default=0)
    pipe.add_argument('--batch-size', type=int, default=8)
    pipe.add_argument('--cfg-options', nargs='+', action=DictAction)
    load = sub.add_parser('load', help='load time and worker memory')
    load.add_argument('ann_file', help='canonical file (.json or .jsonl)')
    load.add_argument(
        '--generate',
        type=int,
        default=0,
        help='first write a synthetic file with this many expressions')
    load.add_argument(
        '--num-workers',
        type=int,
        nargs='+',
        default=[1, 4],
        help='worker counts to measure')
    load.add_argument(
        '--trees',
        nargs='+',
        metavar='ROOT',
        help='source trees whose mmvg builds the dataset in turn (build '
        'time only, no workers)')
    load.add_argument(
        '--repeat', type=int, default=3, help='builds per tree with --trees')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.command == 'load':
        bench_load(args)
    else:
        bench_pipeline(args)


if __name__ == '__main__':
    main()
