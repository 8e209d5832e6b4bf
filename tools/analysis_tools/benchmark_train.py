# Copyright (c) mmvg contributors. All rights reserved.
"""Time a config's training and test steps; compare settings or commits.

    python tools/analysis_tools/benchmark_train.py CONFIG \\
        --settings plain amp channels-last+amp --rounds 2 --iters 7

Every (tree, setting) pair runs in its own process, once per round, the
pairs interleaved within a round, so that a busy neighbour slows all of
them alike. A process builds the model and its optimizer from the config
(random weights; ``paramwise_cfg`` and the optimizer constructor as in
training), then times ``--iters`` calls of ``train_step`` (data
preprocessor, forward, backward, optimizer step) after ``--warmup``
untimed ones, then the same for ``test_step``, on synthetic batches at the
config's input size and batch size (with ``--proposals`` random region
proposals per image for a region-ranking model). Peak memory is the
process's resident set (CPU) or ``torch.cuda.max_memory_allocated``
(GPU). The table gives the median over every timed step of every round,
and the per-round medians, so a noisy round shows.

A setting is ``plain`` or options joined by ``+``:

- ``amp``: ``torch.autocast`` in bfloat16 around both steps.
- ``channels-last``: the model's 4-d weights in channels-last layout.
- ``compile``: ``torch.compile`` of ``train_step`` and ``test_step``, as
  mmengine's ``compile=True`` does.

``--trees OLD NEW`` runs each setting once per source tree (e.g. a
``git worktree`` of an earlier commit), importing mmvg from that tree, so
two commits compare in one run; a relative CONFIG is read from each tree.
"""
import argparse
import json
import os
import os.path as osp
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

OPTIONS = ('amp', 'channels-last', 'compile')
WORDS = ('the man in a red shirt standing on the left next to the small '
         'white dog near the big window').split()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time train_step and test_step of a config')
    parser.add_argument('config')
    parser.add_argument(
        '--settings',
        nargs='+',
        default=['plain'],
        help=f'plain, or options from {OPTIONS} joined by "+"')
    parser.add_argument(
        '--trees',
        nargs='+',
        default=[None],
        help='source trees to import mmvg from (default: the installed)')
    parser.add_argument('--batch-size', type=int, help='default: config')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input size; default: the largest Resize scale in the config')
    parser.add_argument(
        '--words', type=int, default=20, help='words per expression')
    parser.add_argument(
        '--proposals',
        type=int,
        default=20,
        help='random proposals per image (besides the whole image and the '
        'target) for region-ranking configs, whose test pipeline has '
        'LoadVGProposals')
    parser.add_argument('--iters', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['train', 'test'],
        choices=['train', 'test'])
    parser.add_argument('--threads', type=int, help='torch threads')
    parser.add_argument('--device', help='default: cuda if available')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides, as in tools/train.py')
    parser.add_argument('--worker-out', help=argparse.SUPPRESS)
    args = parser.parse_args()
    for setting in args.settings:
        unknown = set(setting.split('+')) - set(OPTIONS) - {'plain'}
        if unknown:
            parser.error(f'unknown options {sorted(unknown)} in setting '
                         f'{setting!r}; choose from {OPTIONS}')
    return args


def input_size(cfg) -> tuple:
    """The largest ``scale`` of a resize in the training pipeline."""
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    scales = []
    for transform in dataset.get('pipeline', []):
        scale = transform.get('scale')
        if isinstance(scale, int):
            scales.append((scale, scale))
        elif scale is not None:
            scales.append(tuple(scale))
    if not scales:
        raise ValueError(f'{cfg.filename}: no resize scale in the training '
                         'pipeline; pass --size H W.')
    # mmcv's scales are (w, h)
    w, h = max(scales, key=lambda s: s[0] * s[1])
    return h, w


def _peak_memory_mib(device: str) -> float:
    import torch
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(args: argparse.Namespace, setting: str) -> dict:
    """Build the model from the config and time its steps."""
    import contextlib

    import torch
    from mmengine.config import Config, DictAction
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    import mmvg
    from mmvg.registry import MODELS
    from mmvg.testing import demo_vg_inputs
    from mmvg.utils import register_all_modules

    options = set(setting.split('+'))
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict({
        key: DictAction._parse_iterable(value)
        for key, value in (o.split('=', 1) for o in args.cfg_options)
    })
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    height, width = args.size or input_size(cfg)
    batch_size = args.batch_size or cfg.train_dataloader.batch_size

    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    if 'channels-last' in options:
        model = model.to(memory_format=torch.channels_last)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if 'compile' in options:
        model.train_step = torch.compile(model.train_step)
        model.test_step = torch.compile(model.test_step)
    autocast = (
        torch.autocast(device.split(':')[0], dtype=torch.bfloat16)
        if 'amp' in options else contextlib.nullcontext())
    with_mask = 'mask' in cfg.model.get('head', {}).get('type', '').lower()
    ranks = any(step['type'] == 'LoadVGProposals'
                for step in cfg.test_dataloader.dataset.pipeline)
    rng = torch.Generator().manual_seed(0)
    texts = [
        ' '.join(WORDS[int(i)] for i in torch.randint(
            0, len(WORDS), (args.words, ), generator=rng))
        for _ in range(batch_size)
    ]
    data = demo_vg_inputs(
        batch_size=batch_size,
        image_shapes=[(height, width)],
        texts=texts,
        with_mask=with_mask,
        num_proposals=args.proposals if ranks else 0)

    def sync():
        if device.startswith('cuda'):
            torch.cuda.synchronize()

    def train():
        with autocast:
            model.train_step(data, optim_wrapper)

    def test():
        with torch.no_grad(), autocast:
            model.test_step(data)

    times = {}
    steps = dict(train=train, test=test)
    for mode in args.modes:
        step = steps[mode]
        model.train(mode == 'train')
        samples = []
        for i in range(args.warmup + args.iters):
            sync()
            start = time.perf_counter()
            step()
            sync()
            if i >= args.warmup:
                samples.append((time.perf_counter() - start) * 1000)
        times[mode] = samples
    return dict(
        times=times,
        peak_mib=_peak_memory_mib(device),
        mmvg=osp.dirname(osp.abspath(mmvg.__file__)),
        device=device,
        size=[height, width],
        batch_size=batch_size,
        threads=torch.get_num_threads())


def run_one(args: argparse.Namespace, tree, setting: str) -> dict:
    """One worker process for a (tree, setting) pair."""
    config = args.config
    env = dict(os.environ)
    if tree is not None:
        tree = osp.abspath(tree)
        if not osp.isabs(config):
            config = osp.join(tree, config)
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (tree, env.get('PYTHONPATH')) if p)
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'times.json')
        cmd = [sys.executable, osp.abspath(__file__), config]
        cmd += ['--settings', setting, '--worker-out', out]
        cmd += ['--iters', str(args.iters), '--warmup', str(args.warmup)]
        cmd += ['--words', str(args.words), '--modes', *args.modes]
        optional = {
            '--batch-size': args.batch_size,
            '--threads': args.threads,
            '--device': args.device
        }
        for flag, value in optional.items():
            if value is not None:
                cmd += [flag, str(value)]
        if args.size:
            cmd += ['--size', *map(str, args.size)]
        if args.cfg_options:
            cmd += ['--cfg-options', *args.cfg_options]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f'{setting} ({tree or "installed"}) failed:\n'
                               f'{result.stderr[-4000:]}')
        with open(out) as f:
            return json.load(f)


def _ms(values) -> str:
    return f'{statistics.median(values):,.0f}'


def main() -> None:
    args = parse_args()
    if args.worker_out:
        report = run_worker(args, args.settings[0])
        with open(args.worker_out, 'w') as f:
            json.dump(report, f)
        return
    pairs = [(tree, setting) for tree in args.trees
             for setting in args.settings]
    reports = {pair: [] for pair in pairs}
    for _ in range(args.rounds):
        for pair in pairs:
            reports[pair].append(run_one(args, *pair))
    first = next(iter(reports.values()))[0]
    print(f'{args.config}: batch {first["batch_size"]}, input '
          f'{first["size"][0]}x{first["size"][1]}, {args.words} words, '
          f'{first["device"]}, {first["threads"]} threads, {args.rounds} '
          f'round(s) of {args.iters} steps after {args.warmup} warm-ups')
    memory = 'CUDA peak MiB' if first['device'].startswith('cuda') \
        else 'peak RSS MiB'
    columns = [f'{mode} ms (per round)' for mode in args.modes]
    header = f'| tree | setting | {" | ".join(columns)} | {memory} |'
    print(header)
    print(re.sub(r'[^|]', '-', header))
    for (tree, setting), runs in reports.items():
        cells = []
        for mode in args.modes:
            per_round = [_ms(run['times'][mode]) for run in runs]
            every = [t for run in runs for t in run['times'][mode]]
            cells.append(f'{_ms(every)} ({" / ".join(per_round)})')
        peak = max(run['peak_mib'] for run in runs)
        print(f'| {runs[0]["mmvg"] if tree else "installed"} | {setting} | '
              f'{" | ".join(cells)} | {peak:,.0f} |')


if __name__ == '__main__':
    main()
