# Copyright (c) mmvg contributors. All rights reserved.
"""The darknet convolution block of SimREC's and MCN's models."""
from collections import OrderedDict
from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_norm_layer


def darknet_conv(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 dilation: int = 1,
                 norm_cfg: Optional[dict] = None) -> nn.Sequential:
    """Convolution (no bias), BatchNorm and LeakyReLU(0.1), darknet style.

    The children are named ``conv``/``batch_norm``/``leaky`` as in the
    darknet blocks of the SimREC repository (DarkNet-53, the multi-scale
    fusion, MCN's ASPP), so that its checkpoints' keys map one to one.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Kernel size; the padding keeps the size at
            stride 1.
        stride (int): Stride. Defaults to 1.
        dilation (int): Dilation. Defaults to 1.
        norm_cfg (dict, optional): Normalisation config. Defaults to
            None: PyTorch's BatchNorm, as in the official models.

    Returns:
        nn.Sequential: Children named ``conv``, ``batch_norm``, ``leaky``.
    """
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=dilation * (kernel_size - 1) // 2,
                dilation=dilation,
                bias=False),
            batch_norm=build_norm_layer(
                norm_cfg or dict(type='BN'), out_channels)[1],
            leaky=nn.LeakyReLU(0.1)))
