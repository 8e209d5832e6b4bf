# Copyright (c) mmvg contributors. All rights reserved.
"""Convert a darknet ``.weights`` file (YOLOv3 on COCO) for ``DarkNet53``.

    python tools/model_converters/darknet_weights_to_mmvg.py \
        darknet_coco.weights darknet_coco_mmvg.pth

MCN starts from YOLOv3 trained on COCO, in darknet's binary format: a
header (int32 major, minor, revision, then the number of images seen: an
int64 when ``10 * major + minor >= 2``, else an int32), then little-endian
float32 tensors, layer by layer in the order of the network. A
convolution followed by BatchNorm stores the BatchNorm bias, weight,
running mean and running variance, then the convolution weight; one
without BatchNorm (YOLOv3's detection outputs) stores its bias, then its
weight.

``DarkNet53``'s 14 layers are the first layers of YOLOv3 in file order, so
their tensors come first and are read in the backbone's order; the rest of
the detector (the first detection output and the two upsampled branches)
is skipped. The file must have exactly the size of a YOLOv3 with
``--num-classes`` classes; otherwise the conversion stops with the
expected and the found byte counts.

Use the output as the backbone's
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``
(its keys without the prefix load into ``DarkNet53()`` with
``strict=True``).
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

from mmvg.models.backbones import DarkNet53

# Darknet's order of a convolution's BatchNorm tensors in the file.
_BN_FILE_ORDER = ('bias', 'weight', 'running_mean', 'running_var')


def header_size(path: str) -> int:
    """Bytes of the darknet header of ``path``.

    Args:
        path (str): The ``.weights`` file.

    Returns:
        int: 20 for format versions from 0.2 on (an int64 ``seen``), else
        16.

    Raises:
        ValueError: If the file is too short to hold a header.
    """
    with open(path, 'rb') as f:
        version = np.frombuffer(f.read(12), dtype='<i4')
    if len(version) < 3:
        raise ValueError(f'{path}: {osp.getsize(path)} bytes, too short for '
                         'the 16- or 20-byte header of a darknet file')
    major, minor = int(version[0]), int(version[1])
    return 20 if 10 * major + minor >= 2 and major < 1000 and \
        minor < 1000 else 16


def yolov3_tail_floats(c3: int, c4: int, c5: int, num_classes: int) -> int:
    """Float32 values of YOLOv3's layers after ``DarkNet53``'s last one.

    Args:
        c3 (int): Channels at stride 8 (256 in YOLOv3).
        c4 (int): Channels at stride 16 (512).
        c5 (int): Channels at stride 32 (1024).
        num_classes (int): Classes of the detector (80 for COCO).

    Returns:
        int: The number of values; detection outputs have
        ``3 * (5 + num_classes)`` channels and a bias, the other
        convolutions BatchNorm.
    """
    outputs = 3 * (5 + num_classes)

    def branch(channels: int, in_channels: int) -> List[tuple]:
        # 1x1 on the concatenation, then 3x3/1x1 pairs and the last 3x3.
        half = channels // 2
        return [(in_channels, half, 1, True), (half, channels, 3, True),
                (channels, half, 1, True), (half, channels, 3, True),
                (channels, half, 1, True), (half, channels, 3, True),
                (channels, outputs, 1, False)]

    layers = [(c5, outputs, 1, False), (c5 // 2, c4 // 2, 1, True)]
    layers += branch(c4, c4 // 2 + c4)
    layers += [(c4 // 2, c3 // 2, 1, True)]
    layers += branch(c3, c3 // 2 + c3)
    return sum(k * k * cin * cout + (4 * cout if bn else cout)
               for cin, cout, k, bn in layers)


def conv_layers(backbone: nn.Module) -> List[Tuple[str, str]]:
    """The (convolution, BatchNorm) key prefixes of ``backbone``.

    Args:
        backbone (nn.Module): A ``DarkNet53``.

    Returns:
        list[tuple[str, str]]: In module order, which is the file order.
    """
    return [(name, name[:-len('conv')] + 'batch_norm')
            for name, module in backbone.named_modules()
            if isinstance(module, nn.Conv2d)]


def convert(path: str,
            num_classes: int = 80,
            backbone_cfg: Optional[dict] = None) -> OrderedDict:
    """Read the ``DarkNet53`` tensors of a YOLOv3 darknet file.

    Args:
        path (str): The ``.weights`` file.
        num_classes (int): Classes of the YOLOv3 in the file. Defaults to
            80.
        backbone_cfg (dict, optional): Arguments of the ``DarkNet53`` to
            fill (the official model by default).

    Returns:
        OrderedDict: ``backbone.``-prefixed keys in the backbone's order;
        BatchNorm ``num_batches_tracked`` counters are 0.

    Raises:
        ValueError: If the file size is not that of such a YOLOv3.
    """
    with torch.device('meta'):
        backbone = DarkNet53(**(backbone_cfg or {}))
    shapes: Dict[str, torch.Size] = {
        k: v.shape
        for k, v in backbone.state_dict().items()
    }
    layers = conv_layers(backbone)
    backbone_floats = sum(shapes[conv + '.weight'].numel() +
                          4 * shapes[bn + '.bias'].numel()
                          for conv, bn in layers)
    c3, c4, c5 = (shapes[f'module_list.{i}.conv.weight'][0] for i in (5, 7, 9))
    header = header_size(path)
    expected = header + 4 * (
        backbone_floats + yolov3_tail_floats(c3, c4, c5, num_classes))
    found = osp.getsize(path)
    if found != expected:
        raise ValueError(
            f'{path}: expected {expected} bytes ({header}-byte header and '
            f'float32 tensors of a YOLOv3 with {num_classes} classes), found '
            f'{found} bytes. A file of another detector or number of '
            'classes (see --num-classes) is not a DarkNet53 initialisation.')
    values = np.fromfile(
        path, dtype='<f4', count=backbone_floats, offset=header)
    offset = 0

    def take(key: str) -> torch.Tensor:
        nonlocal offset
        size = shapes[key].numel()
        tensor = torch.from_numpy(values[offset:offset + size].copy())
        offset += size
        return tensor.view(shapes[key])

    read = {}
    for conv, bn in layers:
        for name in _BN_FILE_ORDER:
            read[f'{bn}.{name}'] = take(f'{bn}.{name}')
        read[conv + '.weight'] = take(conv + '.weight')
    return OrderedDict(
        ('backbone.' + key,
         read[key] if key in read else torch.zeros(shape, dtype=torch.long))
        for key, shape in shapes.items())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a darknet-format YOLOv3 .weights file (MCN\'s '
        'darknet_coco.weights) into the initialisation of mmvg\'s '
        'DarkNet53: its first 14 layers are read, the rest of the '
        'detector is skipped. Use the output as init_cfg=dict('
        'type=\'Pretrained\', checkpoint=DST, prefix=\'backbone.\') of the '
        'backbone.')
    parser.add_argument('src', help='darknet .weights file')
    parser.add_argument('dst', help='where to save the mmvg checkpoint')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=80,
        help='classes of the YOLOv3 in the file (80 for COCO); fixes the '
        'expected file size')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state_dict = convert(args.src, args.num_classes)
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(converted_from=args.src, source='darknet YOLOv3')),
        args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
