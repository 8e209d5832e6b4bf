# Copyright (c) mmvg contributors. All rights reserved.
"""Consolidate a DeepSpeed or FSDP checkpoint into one plain ``.pth``.

    python tools/model_converters/sharded_to_pth.py \\
        work_dirs/RUN/iter_1000.pth iter_1000_consolidated.pth

The input is what mmvg's strategies save:

* a DeepSpeed directory (ZeRO stage 0-3, written with the optimizer): the
  fp32 weights are gathered from the per-rank parts with DeepSpeed's
  ``zero_to_fp32``;
* an FSDP ``full`` checkpoint, or any mmengine checkpoint file: its
  ``state_dict`` is kept and the optimizer and scheduler states dropped.

The output holds ``state_dict`` (fp32, keys as in the model) and ``meta``
and loads with ``tools/test.py``, ``load_from`` and the inferencer under
any strategy. It is written atomically.
"""
import argparse
import glob
import io
import os.path as osp
import sys
from typing import Tuple

import torch

from mmvg.engine.checkpoint import load_checkpoint_file
from mmvg.engine.crash_safety import (COMPLETE_MARKER, atomic_write,
                                      is_complete_checkpoint)


def _meta_of_deepspeed(directory: str) -> dict:
    """The ``meta`` mmengine stored in a DeepSpeed directory.

    DeepSpeed pickles the run's client state (configs included) into the
    model-states files, and its ``zero_to_fp32`` unpickles those same files
    with ``weights_only=False``; so only convert directories you trust.
    """
    for path in sorted(glob.glob(osp.join(directory, '*model_states.pt'))):
        states = torch.load(path, map_location='cpu', weights_only=False)
        if 'meta' in states:
            return dict(states['meta'])
    return {}


def consolidate_deepspeed(directory: str) -> Tuple[dict, dict]:
    """Gather the fp32 weights of a DeepSpeed checkpoint directory.

    Args:
        directory (str): The ``epoch_N.pth``/``iter_N.pth`` directory.

    Returns:
        tuple[dict, dict]: The state dict and the checkpoint's meta.
    """
    from deepspeed.utils.zero_to_fp32 import \
        get_fp32_state_dict_from_zero_checkpoint
    parent, tag = osp.split(osp.abspath(directory))
    if glob.glob(osp.join(directory, '*optim_states.pt')):
        state_dict = get_fp32_state_dict_from_zero_checkpoint(parent, tag=tag)
    else:
        # Without ZeRO the module's weights are saved whole.
        states = torch.load(
            osp.join(directory, 'mp_rank_00_model_states.pt'),
            map_location='cpu',
            weights_only=False)
        state_dict = {k: v.float() for k, v in states['module'].items()}
    return dict(state_dict), _meta_of_deepspeed(directory)


def consolidate(src: str) -> dict:
    """The plain checkpoint (``state_dict`` and ``meta``) of ``src``.

    Args:
        src (str): A DeepSpeed directory or an mmengine checkpoint file.

    Returns:
        dict: ``dict(state_dict=..., meta=...)``.

    Raises:
        ValueError: For an incomplete checkpoint or an FSDP ``local``
            directory.
    """
    if osp.isdir(src):
        if glob.glob(osp.join(src, 'rank*.pth')):
            raise ValueError(
                f'{src} is an FSDP local (flat-shard) checkpoint, which '
                'only an FSDP run of the same world size reads; save with '
                "strategy.state_dict_cfg='full' to get a consolidated "
                'checkpoint.')
        if not glob.glob(osp.join(src, '*model_states.pt')):
            raise ValueError(f'{src} is not a DeepSpeed checkpoint '
                             'directory (no *model_states.pt).')
        if not osp.isfile(osp.join(src, COMPLETE_MARKER)):
            print(
                f'warning: {src} has no {COMPLETE_MARKER} marker: it was '
                'written without mmvg or its writing was interrupted.',
                file=sys.stderr)
        state_dict, meta = consolidate_deepspeed(src)
    else:
        if not is_complete_checkpoint(src):
            raise ValueError(f'{src} is not a complete checkpoint file.')
        checkpoint = load_checkpoint_file(src, map_location='cpu')
        state_dict = checkpoint.get('state_dict', checkpoint)
        meta = dict(checkpoint.get('meta', {}))
        state_dict = {
            key: value.float() if value.is_floating_point() else value
            for key, value in state_dict.items()
        }
    meta['consolidated_from'] = osp.abspath(src)
    return dict(state_dict=state_dict, meta=meta)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Consolidate a DeepSpeed/FSDP checkpoint into one .pth')
    parser.add_argument('src', help='checkpoint directory or file')
    parser.add_argument('dst', help='output .pth')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = consolidate(args.src)
    with io.BytesIO() as buffer:
        torch.save(checkpoint, buffer)
        atomic_write(buffer.getvalue(), args.dst)
    num_params = sum(v.numel() for v in checkpoint['state_dict'].values())
    print(f'Saved {len(checkpoint["state_dict"])} tensors '
          f'({num_params:,} values) to {args.dst}')


if __name__ == '__main__':
    main()
