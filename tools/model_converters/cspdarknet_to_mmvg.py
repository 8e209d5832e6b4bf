# Copyright (c) mmvg contributors. All rights reserved.
"""Convert SimREC's ``cspdarknet_coco.pth`` for mmvg's ``CSPDarkNetV6``.

    python tools/model_converters/cspdarknet_to_mmvg.py \
        cspdarknet_coco.pth cspdarknet_coco_mmvg.pth

The official ``CspDarkNet`` reads the file with ``torch.load`` and
``load_state_dict(strict=False)``: a flat state dict whose backbone keys are
YOLOv5's layer names ``model.0`` .. ``model.9``. ``CSPDarkNetV6`` keeps
those names, so the conversion only checks the keys and shapes against the
backbone and prefixes them with ``backbone.``; the YOLOv5 neck and head
(``model.10`` and later), which the official loading ignores, are dropped,
a missing BatchNorm ``num_batches_tracked`` counter is set to 0, and half
precision tensors become float32. Any other missing, unknown or misshapen
key stops the conversion with the key named.

Use the output as the backbone's
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``
(its keys without the prefix load into ``CSPDarkNetV6()`` with
``strict=True``).
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict

import torch

from mmvg.engine import load_checkpoint_file
from mmvg.models.backbones import CSPDarkNetV6

NUM_BACKBONE_LAYERS = 10
_LAYER_KEY = re.compile(r'model\.(\d+)\.')


def backbone_shapes() -> Dict[str, torch.Size]:
    """Tensor shapes of the official-size ``CSPDarkNetV6``, by key."""
    with torch.device('meta'):
        backbone = CSPDarkNetV6()
    return {k: v.shape for k, v in backbone.state_dict().items()}


def convert(state_dict: Dict[str, torch.Tensor],
            source: str = 'checkpoint') -> OrderedDict:
    """Map an official CSPDarkNet state dict to mmvg backbone keys.

    Args:
        state_dict (dict): The official state dict (flat, or under
            ``state_dict``).
        source (str): Name of the checkpoint for error messages.

    Returns:
        OrderedDict: ``backbone.``-prefixed keys in the backbone's order.

    Raises:
        KeyError: For a key that is not a YOLOv5 layer, or missing keys.
        ValueError: For a tensor whose shape differs from the backbone's.
    """
    state_dict = state_dict.get('state_dict', state_dict)
    shapes = backbone_shapes()
    unknown = [
        k for k in state_dict
        if k not in shapes and not (_LAYER_KEY.match(k) and int(
            _LAYER_KEY.match(k).group(1)) >= NUM_BACKBONE_LAYERS)
    ]
    if unknown:
        raise KeyError(f'{source}: keys that are not CSPDarkNet layers '
                       f'model.0-{NUM_BACKBONE_LAYERS - 1} (nor a YOLOv5 '
                       f'neck/head layer): {unknown[:5]}')
    converted = OrderedDict()
    missing = []
    for key, shape in shapes.items():
        if key in state_dict:
            value = state_dict[key]
        elif key.endswith('num_batches_tracked'):
            value = torch.tensor(0)
        else:
            missing.append(key)
            continue
        if value.shape != shape:
            raise ValueError(f'{source}: "{key}" has shape '
                             f'{tuple(value.shape)}, the backbone '
                             f'{tuple(shape)}')
        converted['backbone.' + key] = (
            value.float() if value.is_floating_point() else value)
    if missing:
        raise KeyError(f'{source}: {len(missing)} backbone keys are missing, '
                       f'e.g. {missing[:5]}')
    return converted


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert SimREC\'s cspdarknet_coco.pth (a flat state '
        'dict with YOLOv5 keys model.0-9) into the initialisation of '
        'mmvg\'s CSPDarkNetV6. Use the output as init_cfg=dict('
        'type=\'Pretrained\', checkpoint=DST, prefix=\'backbone.\') of the '
        'backbone.')
    parser.add_argument('src', help='official cspdarknet_coco.pth')
    parser.add_argument('dst', help='where to save the mmvg checkpoint')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state_dict = convert(load_checkpoint_file(args.src, 'cpu'), args.src)
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(converted_from=args.src, source='luogen1996/SimREC')),
        args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
