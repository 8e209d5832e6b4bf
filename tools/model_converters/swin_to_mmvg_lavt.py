# Copyright (c) mmvg contributors. All rights reserved.
"""Convert an official Swin classification checkpoint for LAVT.

``swin_base_patch4_window12_384_22k.pth`` (keys under ``model``:
``patch_embed.proj``, ``layers.{i}.blocks.{j}...``, ``norm``, ``head``)
becomes a state dict of ``LAVTSwinTransformer`` keys prefixed
``backbone.``, for the backbone's ``init_cfg=dict(type='Pretrained',
checkpoint=...)``. The classifier (``head``), the final ``norm`` and the
``attn_mask`` buffers are dropped: LAVT has its own per-stage output norms,
and the masks depend on the input size.

A checkpoint whose window size differs from ``--window-size`` is refused
(its relative position tables are not interpolated).
"""
import argparse
from collections import OrderedDict

import torch
from mmdet.models.backbones.swin import swin_converter

from mmvg.models.backbones.lavt_swin import check_window_size

# Keys of the classification model that LAVT does not use.
_DROPPED_PREFIXES = ('head.', 'norm.')


def convert(checkpoint: dict,
            window_size: int = 12,
            source: str = 'checkpoint') -> OrderedDict:
    """Map an official Swin state dict to mmvg's LAVT backbone keys.

    Args:
        checkpoint (dict): The loaded checkpoint (``model`` or a plain
            state dict).
        window_size (int): The window size the LAVT backbone is built with.
        source (str): Name of the checkpoint for error messages.

    Returns:
        OrderedDict: ``backbone.``-prefixed mmvg keys.

    Raises:
        ValueError: If the checkpoint's window size differs.
    """
    state_dict = checkpoint.get('model', checkpoint)
    kept = OrderedDict(
        (k, v) for k, v in state_dict.items()
        if not k.startswith(_DROPPED_PREFIXES) and not k.endswith('attn_mask'))
    check_window_size(kept, window_size, source)
    return swin_converter(kept)


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an official Swin checkpoint (e.g. '
        'swin_base_patch4_window12_384_22k.pth) into the backbone '
        'initialisation of mmvg\'s LAVT.')
    parser.add_argument('src', help='official Swin checkpoint')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--window-size',
        type=int,
        default=12,
        help='window size of the LAVT backbone (12 for the official '
        'configs); a checkpoint with another window size is refused')
    args = parser.parse_args()
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = convert(checkpoint, args.window_size, args.src)
    torch.save(dict(state_dict=state_dict), args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
