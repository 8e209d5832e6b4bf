# Copyright (c) mmvg contributors. All rights reserved.
"""Expressions per second of ``VGInferencer`` with and without the shared
visual pass, for several expressions per image.

    python tools/analysis_tools/benchmark_inference.py CONFIG_OR_NAME \\
        --weights CKPT --exprs 1 8 32 --rounds 5

For each number of expressions per image, the same images and expressions
go through the inferencer three ways per round, in rotating order:

- ``shared``: a batch is one image with all of its expressions; the image
  is encoded once and fused with each expression (``share_visual``).
- ``unshared``: the same batches, each expression with its own visual pass
  (the image repeated in the batch): what sharing alone saves.
- ``per pair``: one pass per (image, expression) pair, a batch of one,
  as ``inference_grounder`` and the official demos run.

The table gives the median expressions/s over the rounds, the speed-up of
``shared`` over the other two, and the largest difference between the
paths' boxes as a fraction of the image size, which must stay within 1e-5
or the script fails (float32 sums in another order for another batch
size; the difference is a few units in the last place).
"""
import argparse
import statistics
import time

import numpy as np
import torch

from mmvg.apis import VGInferencer

WORDS = ('the red green blue circle square triangle star on left right of '
         'leftmost rightmost shape small big').split()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('model', help='config file or model name')
    parser.add_argument('--weights', help='checkpoint (default: random)')
    parser.add_argument(
        '--exprs',
        type=int,
        nargs='+',
        default=[1, 8, 32],
        help='expressions per image')
    parser.add_argument('--images', type=int, default=4, help='images')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=[480, 640],
        help='(h, w) of the random images before the test pipeline')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def make_inputs(num_images: int, num_exprs: int, size: tuple, seed: int = 0):
    rng = np.random.RandomState(seed)
    images = [
        rng.randint(0, 256, (*size, 3), dtype=np.uint8)
        for _ in range(num_images)
    ]
    texts = [[
        ' '.join(rng.choice(WORDS, rng.randint(2, 8)))
        for _ in range(num_exprs)
    ] for _ in range(num_images)]
    return images, texts


def run(inferencer, images, texts, mode):
    """Seconds and predictions (grouped per image) of one way."""
    if mode == 'per pair':
        images = [img for img, exprs in zip(images, texts) for _ in exprs]
        texts = [text for exprs in texts for text in exprs]
    start = time.perf_counter()
    preds = inferencer(
        images, texts, share_visual=mode == 'shared',
        return_datasamples=True)['predictions']
    seconds = time.perf_counter() - start
    return seconds, [sample for samples in preds for sample in samples]


def max_box_difference(preds, reference) -> float:
    """The largest difference of two paths' boxes as a fraction of the
    image's size; above 1e-5 fails."""
    worst = 0.0
    for a, b in zip(preds, reference):
        height, width = a.ori_shape
        scale = a.pred_instances.bboxes.new_tensor([width, height] * 2)
        difference = (a.pred_instances.bboxes -
                      b.pred_instances.bboxes).abs() / scale
        worst = max(worst, difference.max().item())
    if worst > 1e-5:
        raise AssertionError(f'The boxes differ by {worst:.1e} of the '
                             'image size between the paths')
    return worst


def main() -> None:
    args = parse_args()
    inferencer = VGInferencer(args.model, args.weights, device=args.device)
    model = inferencer.model
    print(f'{type(model).__name__}: shares_visual_feat='
          f'{model.shares_visual_feat}; {args.images} images of '
          f'{args.img_size[0]}x{args.img_size[1]}; '
          f'{torch.get_num_threads()} threads; median of {args.rounds}')
    modes = ('shared', 'unshared', 'per pair')
    print('| expressions per image | ' + ' | '.join(f'{mode} expr/s'
                                                    for mode in modes) +
          ' | vs unshared | vs per pair | max box difference |')
    print('|---' * 7 + '|')
    for num_exprs in args.exprs:
        images, texts = make_inputs(args.images, num_exprs, args.img_size)
        times = {mode: [] for mode in modes}
        for round_index in range(args.warmup + args.rounds):
            shift = round_index % len(modes)
            preds = {}
            for mode in modes[shift:] + modes[:shift]:
                seconds, preds[mode] = run(inferencer, images, texts, mode)
                if round_index >= args.warmup:
                    times[mode].append(seconds)
        difference = max(
            max_box_difference(preds[mode], preds['shared'])
            for mode in modes[1:])
        rate = {
            mode: args.images * num_exprs / statistics.median(times[mode])
            for mode in modes
        }
        print(f'| {num_exprs} | ' + ' | '.join(f'{rate[mode]:.1f}'
                                               for mode in modes) +
              f' | {rate["shared"] / rate["unshared"]:.2f}x'
              f' | {rate["shared"] / rate["per pair"]:.2f}x'
              f' | {difference:.1e} |')


if __name__ == '__main__':
    main()
