# Copyright (c) mmvg contributors. All rights reserved.
"""Benchmark data loading.

``pipeline``: samples/s of a config's train (or val) pipeline through a
DataLoader.

``load``: time to build a dataset from a canonical file (``--generate N``
writes a synthetic one with N expressions first) and the memory of the
main process plus N dataloader workers that read every record. RSS counts
shared pages once per process, so it over-states a forked worker's cost;
PSS shares them out and USS counts private pages only.

Examples::

    python tools/analysis_tools/benchmark_data.py pipeline \
        configs/_base_/datasets/synthetic.py --num-samples 400
    python tools/analysis_tools/benchmark_data.py load /tmp/1m.jsonl \
        --generate 1000000 --num-workers 1 4
"""
import argparse
import json
import os
import time
from typing import Dict, List

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader, Dataset

from mmvg.datasets import VGDataset
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
    with open(path, 'w') as f:
        if path.endswith('.jsonl'):
            f.write(json.dumps(dict(metainfo=metainfo)) + '\n')
        else:
            f.write(
                json.dumps(dict(metainfo=metainfo))[:-1] + ',"data_list":[')
        for i in range(num):
            rec = dict(
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
                no_target=False)
            line = json.dumps(rec, separators=(',', ':'))
            if path.endswith('.jsonl'):
                f.write(line + '\n')
            else:
                f.write(('' if i == 0 else ',') + line)
        if not path.endswith('.jsonl'):
            f.write(']}')


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
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.command == 'load':
        bench_load(args)
    else:
        bench_pipeline(args)


if __name__ == '__main__':
    main()
