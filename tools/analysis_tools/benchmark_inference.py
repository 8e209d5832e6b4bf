# Copyright (c) mmvg contributors. All rights reserved.
"""Inference speed: expressions per second of ``VGInferencer`` with and
without the shared visual pass, or images per second of several configs'
``test_step`` in one interleaved run.

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

Images per second of several (config, input size, batch size) entries,
e.g. SimREC next to VLTVG-R50 on one machine:

    SIMREC=configs/simrec/simrec_cspdarknet_gru-sa_4xb8-25e_refcoco.py
    VLTVG=configs/vltvg/vltvg_r50_bert-base_4xb16-90e_refcoco.py
    python tools/analysis_tools/benchmark_inference.py --device cuda \\
        --entry $SIMREC 416 1 --entry $SIMREC 416 32 \\
        --entry $VLTVG 640 1 --rounds 50 --warmup 10

Each config's model is built at full size with random weights and without
the files its config names: ``init_weights`` is not called (no pretrained
checkpoint, no BERT weights, no GloVe), the tokenizer becomes a
``WordVocabTokenizer`` over the benchmark's words with the config
tokenizer's ``max_length`` (so VLTVG still pads to 40 tokens, SimREC to
15), and a word-level text encoder reads that vocabulary (its embedding
table has the benchmark's few words instead of the dataset's; a lookup
costs the same). An entry's batch is random uint8 images of SIZE x SIZE,
each with a random expression of 10 words, through the model's
``test_step`` under ``torch.no_grad()``: data preprocessor (copy to the
device, normalisation, padding, tokenization), forward and
post-processing, as ``tools/test.py`` runs it. A round times one
``test_step`` of every entry, the entries in rotating order so that a
busy neighbour or a warming GPU slows all of them alike; the first
``--warmup`` rounds are not counted. The table gives per entry the
images/s of the median step (and of the slowest and fastest), the median
milliseconds per batch and the parameters.
"""
import argparse
import json
import os.path as osp
import platform
import statistics
import tempfile
import time
from typing import List, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict

from mmvg.apis import VGInferencer
from mmvg.datasets.tokenizers import build_word_vocab
from mmvg.registry import MODELS
from mmvg.testing import demo_vg_inputs
from mmvg.utils import register_all_modules

WORDS = ('the red green blue circle square triangle star on left right of '
         'leftmost rightmost shape small big').split()

# Words per expression of an --entry batch.
ENTRY_WORDS = 10
# An --entry: (config file, input size, batch size).
Entry = Tuple[str, int, int]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'model',
        nargs='?',
        help='config file or model name (expressions/s of the inferencer)')
    parser.add_argument(
        '--entry',
        nargs=3,
        action='append',
        metavar=('CONFIG', 'SIZE', 'BATCH'),
        help='time test_step of CONFIG on BATCH random SIZE x SIZE images '
        '(images/s); repeat for several entries, timed interleaved')
    parser.add_argument(
        '--weights', help='checkpoint of MODEL (default: random)')
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
    parser.add_argument(
        '--rounds',
        type=int,
        default=5,
        help='timed rounds (with --entry: timed test steps per entry)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    if (args.model is None) == (args.entry is None):
        parser.error('give either a model (expressions/s of the '
                     'inferencer) or --entry CONFIG SIZE BATCH (images/s)')
    if args.entry:
        entries = []
        for config, size, batch in args.entry:
            if not (size.isdigit() and batch.isdigit() and int(size) > 0
                    and int(batch) > 0):
                parser.error(f'--entry {config} {size} {batch}: SIZE and '
                             'BATCH must be positive integers')
            entries.append((config, int(size), int(batch)))
        args.entry = entries
    return args


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


def offline_model_cfg(config: str, vocab_file: str) -> ConfigDict:
    """The ``model`` of ``config``, buildable without the files it names.

    The tokenizer becomes a ``WordVocabTokenizer`` over ``vocab_file``
    with the config tokenizer's ``max_length`` and padding; a text encoder
    that reads a word vocabulary at construction (SimREC, MCN) reads
    ``vocab_file`` and no GloVe. Pretrained weights (``init_cfg``, BERT's
    ``pretrained``) are read by ``init_weights`` only, which the caller
    does not call.

    Args:
        config (str): The config file.
        vocab_file (str): A word vocabulary JSON.

    Returns:
        ConfigDict: The model config.
    """
    model = Config.fromfile(config).model
    tokenizer = model.data_preprocessor.get('tokenizer')
    if not tokenizer:
        raise ValueError(f'{config}: the model has no tokenizer in '
                         'data_preprocessor, so its text length is unknown')
    model.data_preprocessor.tokenizer = dict(
        type='WordVocabTokenizer',
        vocab_file=vocab_file,
        **{
            key: tokenizer[key]
            for key in ('max_length', 'pad_to_max_length') if key in tokenizer
        })
    text_encoder = model.get('text_encoder', {})
    if 'vocab_file' in text_encoder:
        text_encoder.vocab_file = vocab_file
    if 'glove_file' in text_encoder:
        text_encoder.glove_file = None
    return model


def entry_batch(size: int, batch_size: int, seed: int) -> dict:
    """``batch_size`` random uint8 images of ``size`` x ``size``, each
    with a random expression of ``ENTRY_WORDS`` words, as the dataloader
    gives them."""
    rng = np.random.RandomState(seed)
    texts = [
        ' '.join(rng.choice(WORDS, ENTRY_WORDS)) for _ in range(batch_size)
    ]
    return demo_vg_inputs(
        batch_size=batch_size,
        image_shapes=[(size, size)],
        texts=texts,
        seed=seed)


def time_entries(entries: List[Entry], rounds: int, warmup: int,
                 device: str) -> List[List[float]]:
    """Seconds of each timed ``test_step`` of each entry, the entries
    interleaved in rotating order within a round."""
    register_all_modules()
    torch.manual_seed(0)
    models = {}
    with tempfile.TemporaryDirectory() as tmp:
        # The tokenizers read it at their first call.
        vocab_file = osp.join(tmp, 'vocab.json')
        with open(vocab_file, 'w') as f:
            json.dump(build_word_vocab([' '.join(WORDS)]), f)
        for config, _, _ in entries:
            if config not in models:
                model = MODELS.build(offline_model_cfg(config, vocab_file))
                models[config] = model.to(device).eval()
        batches = [
            entry_batch(size, batch_size, seed)
            for seed, (_, size, batch_size) in enumerate(entries)
        ]
        times = [[] for _ in entries]
        order = list(range(len(entries)))
        for round_index in range(warmup + rounds):
            shift = round_index % len(entries)
            for index in order[shift:] + order[:shift]:
                model = models[entries[index][0]]
                seconds = time_test_step(model, batches[index], device)
                if round_index >= warmup:
                    times[index].append(seconds)
    return times


def time_test_step(model, data: dict, device: str) -> float:
    """Seconds of one ``test_step``, the device's queue drained first."""
    cuda = device.startswith('cuda')
    with torch.no_grad():
        if cuda:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        model.test_step(data)
        if cuda:
            torch.cuda.synchronize(device)
    return time.perf_counter() - start


def device_name(device: str) -> str:
    if device.startswith('cuda'):
        return f'{device} ({torch.cuda.get_device_name(device)})'
    return (f'{device} ({platform.processor() or platform.machine()}, '
            f'{torch.get_num_threads()} threads)')


def main_entries(args: argparse.Namespace) -> None:
    """Images/s of each --entry, one table."""
    times = time_entries(args.entry, args.rounds, args.warmup, args.device)
    print(f'{device_name(args.device)}; test_step of each entry, median of '
          f'{args.rounds} after {args.warmup} warm-up(s), interleaved; '
          f'random weights, {ENTRY_WORDS}-word expressions')
    print('| config | input | batch | images/s median (min / max) | '
          'ms per batch |')
    print('|---' * 5 + '|')
    for (config, size, batch_size), seconds in zip(args.entry, times):
        median = statistics.median(seconds)
        name = osp.splitext(osp.basename(config))[0]
        print(f'| {name} | {size}x{size} | {batch_size} | '
              f'{batch_size / median:.1f} ({batch_size / max(seconds):.1f}'
              f' / {batch_size / min(seconds):.1f}) | {median * 1000:.1f} |')


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.entry:
        main_entries(args)
        return
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
