# Copyright (c) mmvg contributors. All rights reserved.
"""Time :class:`RESMetric` over synthetic masks.

``python tools/analysis_tools/benchmark_res_metric.py`` evaluates 5,000
samples of 480x640 masks (a predicted bool tensor and an RLE ground truth
each, as the metric receives them from a test loop) and prints the total
seconds (wall clock and CPU) and samples per second of ``process`` plus
``evaluate``.
"""
import argparse
import time

import numpy as np
import pycocotools.mask as mask_utils
import torch

from mmvg.evaluation.metrics import RESMetric


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark RESMetric')
    parser.add_argument('--num-samples', type=int, default=5000)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument(
        '--pool',
        type=int,
        default=32,
        help='distinct masks generated, then reused (keeps memory small)')
    parser.add_argument(
        '--resolution', choices=['original', 'input'], default='original')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def random_blob(rng: np.random.Generator, height: int,
                width: int) -> np.ndarray:
    """An ellipse of random centre and radii, as a (H, W) bool mask."""
    cy, cx = rng.uniform(0, height), rng.uniform(0, width)
    ry, rx = rng.uniform(10, height / 3), rng.uniform(10, width / 3)
    ys, xs = np.ogrid[:height, :width]
    return ((ys - cy) / ry)**2 + ((xs - cx) / rx)**2 <= 1


def build_pool(args: argparse.Namespace) -> list:
    rng = np.random.default_rng(args.seed)
    pool = []
    for _ in range(args.pool):
        gt = random_blob(rng, args.height, args.width)
        # A shifted copy of the ground truth: a prediction of some quality.
        shift = rng.integers(-40, 41, size=2)
        pred = torch.from_numpy(np.roll(gt, tuple(shift), axis=(0, 1)))[None]
        sample = dict(
            text='the object',
            img_shape=(args.height, args.width),
            pred_instances=dict(scores=torch.ones(1)))
        if args.resolution == 'original':
            sample['ori_gt_mask'] = mask_utils.encode(
                np.asfortranarray(gt.astype(np.uint8)))
            sample['pred_instances']['masks'] = pred
        else:
            sample['gt_instances'] = dict(masks=torch.from_numpy(gt)[None])
            sample['pred_instances']['input_masks'] = pred
        pool.append(sample)
    return pool


def main() -> None:
    args = parse_args()
    pool = build_pool(args)
    metric = RESMetric(resolution=args.resolution)
    start, cpu_start = time.perf_counter(), time.process_time()
    for begin in range(0, args.num_samples, args.batch_size):
        end = min(begin + args.batch_size, args.num_samples)
        metric.process(None, [pool[i % len(pool)] for i in range(begin, end)])
    metrics = metric.evaluate(args.num_samples)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    # CPU time tells the cost apart from other jobs sharing the machine.
    print(f'RESMetric ({args.resolution} resolution): {args.num_samples} '
          f'samples of {args.height}x{args.width} masks in {seconds:.2f} s '
          f'({args.num_samples / seconds:.0f} samples/s; CPU time '
          f'{cpu_seconds:.2f} s)')
    print(', '.join(f'{k}: {v:.2f}' for k, v in metrics.items()))


if __name__ == '__main__':
    main()
