# Copyright (c) mmvg contributors. All rights reserved.
"""MCN's DarkNet-53: YOLOv3's backbone plus the first layers of its head.

mmdet's ``Darknet`` has the same 52 convolutions but other key names and
not the three head layers MCN keeps, so this module keeps the official
names (``module_list.{i}``, ``conv``/``batch_norm``) that the darknet
``.weights`` converter and MCN checkpoints use.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from mmvg.registry import MODELS
from ..layers import darknet_conv
from .layer_stack import LayerStackBackbone


class DarknetResBlocks(nn.Module):
    """A run of darknet residual blocks (1x1 halving, 3x3 restoring).

    Args:
        channels (int): Input and output channels.
        num_blocks (int): Number of blocks.
        norm_cfg (dict): Normalisation config.
        shortcut (bool): Add each block's input to its output; YOLOv3's
            head uses the same pairs of convolutions without it.
    """

    def __init__(self,
                 channels: int,
                 num_blocks: int,
                 norm_cfg: dict,
                 shortcut: bool = True) -> None:
        super().__init__()
        self.shortcut = shortcut
        self.module_list = nn.ModuleList(
            nn.ModuleList([
                darknet_conv(channels, channels // 2, 1, norm_cfg=norm_cfg),
                darknet_conv(channels // 2, channels, 3, norm_cfg=norm_cfg)
            ]) for _ in range(num_blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for squeeze, expand in self.module_list:
            out = expand(squeeze(x))
            x = x + out if self.shortcut else out
        return x


@MODELS.register_module()
class DarkNet53(LayerStackBackbone):
    """MCN's DarkNet-53 with YOLOv3's first head layers.

    Fourteen layers, ``module_list.0`` .. ``module_list.13`` (the official
    key names): DarkNet-53 (layers 0-10: a 3x3 stem, then five stages of a
    stride-2 convolution and 1, 2, 8, 8, 4 residual blocks), then YOLOv3's
    first detection branch up to its 1024-channel 3x3 convolution: two
    blocks without shortcut (11), a 1x1 to 512 (12) and a 3x3 to 1024 (13).
    Layers 6, 8 and 13 give 256, 512 and 1024 channels at strides 8, 16
    and 32. The official ``multi_scale_outputs=True`` is
    ``out_indices=(6, 8, 13)``, ``False`` is ``(13,)``; its
    ``freeze_backbone=True`` is ``frozen_stages=11``. The layers are in
    the order of a darknet ``.weights`` file (see
    ``tools/model_converters/darknet_weights_to_mmvg.py``).

    Args:
        deepen_factor (float): Scales the number of residual blocks (at
            least one each). Defaults to 1.0.
        widen_factor (float): Scales the channels. Defaults to 1.0.
        out_indices (Sequence[int]): Layers whose outputs are returned.
            Defaults to (6, 8, 13).
        frozen_stages (int): Layers ``0..frozen_stages`` get
            ``requires_grad=False``; their BatchNorm stays in train mode, as
            in the official code. -1 freezes nothing. Defaults to -1.
        norm_cfg (dict): Normalisation config. Defaults to PyTorch's
            BatchNorm, as the official model.
        init_cfg (dict, optional): Initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
            for a converted darknet ``.weights`` file.
    """

    def __init__(self,
                 deepen_factor: float = 1.0,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (6, 8, 13),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(out_indices, frozen_stages, init_cfg)

        def width(channels: int) -> int:
            return int(channels * widen_factor)

        def conv(in_channels: int, out_channels: int, kernel_size: int,
                 stride: int) -> nn.Sequential:
            return darknet_conv(
                width(in_channels),
                width(out_channels),
                kernel_size,
                stride,
                norm_cfg=norm_cfg)

        def blocks(channels: int,
                   num_blocks: int,
                   shortcut: bool = True) -> DarknetResBlocks:
            return DarknetResBlocks(
                width(channels), max(round(num_blocks * deepen_factor), 1),
                norm_cfg, shortcut)

        self.module_list = nn.ModuleList([
            # the image channels are not widened
            darknet_conv(3, width(32), 3, norm_cfg=norm_cfg),
            conv(32, 64, 3, 2),
            blocks(64, 1),
            conv(64, 128, 3, 2),
            blocks(128, 2),
            conv(128, 256, 3, 2),
            blocks(256, 8),
            conv(256, 512, 3, 2),
            blocks(512, 8),
            conv(512, 1024, 3, 2),
            blocks(1024, 4),
            blocks(1024, 2, shortcut=False),
            conv(1024, 512, 1, 1),
            conv(512, 1024, 3, 1),
        ])
        self._freeze_and_check()

    @property
    def layers(self) -> nn.ModuleList:
        return self.module_list
