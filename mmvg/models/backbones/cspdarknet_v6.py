# Copyright (c) mmvg contributors. All rights reserved.
"""SimREC's CSPDarkNet: the YOLOv5 v6 backbone (ConvBnAct, C3, SPPF).

mmdet's ``CSPDarknet`` (YOLOX) is not reused because its layout differs:
a Focus stem instead of the 6x6 stride-2 convolution, C3 depths 3/9/9/3
instead of 3/6/9/3, and a parallel SPP placed before a non-residual last
CSP stage instead of SPPF after a residual one.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from mmvg.registry import MODELS
from .layer_stack import LayerStackBackbone


class C3Bottleneck(nn.Module):
    """Two convolutions (1x1 then 3x3) with a residual connection.

    Args:
        channels (int): Input, hidden and output channels.
        norm_cfg (dict): Normalisation config.
        act_cfg (dict): Activation config.
    """

    def __init__(self, channels: int, norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        self.cv1 = ConvModule(
            channels, channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.cv2 = ConvModule(
            channels,
            channels,
            3,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.cv2(self.cv1(x))


class C3(nn.Module):
    """YOLOv5's CSP block with three convolutions.

    ``cv1`` feeds ``num_blocks`` residual bottlenecks (``m``), ``cv2`` is
    the shortcut path; ``cv3`` fuses their concatenation.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels; the two paths have half.
        num_blocks (int): Number of bottlenecks.
        norm_cfg (dict): Normalisation config.
        act_cfg (dict): Activation config.
    """

    def __init__(self, in_channels: int, out_channels: int, num_blocks: int,
                 norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        hidden = out_channels // 2
        self.cv1 = ConvModule(
            in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.cv2 = ConvModule(
            in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.cv3 = ConvModule(
            2 * hidden, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.m = nn.Sequential(*(C3Bottleneck(hidden, norm_cfg, act_cfg)
                                 for _ in range(num_blocks)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), dim=1))


class SPPF(nn.Module):
    """Fast spatial pyramid pooling: three chained max-pools.

    Chaining stride-1 max-pools of size k gives the receptive fields k,
    2k - 1 and 3k - 2 (5, 9, 13 for k = 5), i.e. YOLOv3's parallel SPP at a
    third of the cost.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Max-pool size. Defaults to 5.
        norm_cfg (dict): Normalisation config.
        act_cfg (dict): Activation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: dict,
                 act_cfg: dict,
                 kernel_size: int = 5) -> None:
        super().__init__()
        hidden = in_channels // 2
        self.cv1 = ConvModule(
            in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.cv2 = ConvModule(
            hidden * 4, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.m = nn.MaxPool2d(kernel_size, stride=1, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = [self.cv1(x)]
        for _ in range(3):
            pooled.append(self.m(pooled[-1]))
        return self.cv2(torch.cat(pooled, dim=1))


@MODELS.register_module()
class CSPDarkNetV6(LayerStackBackbone):
    """SimREC's CSPDarkNet, the YOLOv5-L v6 backbone.

    Ten layers, ``model.0`` .. ``model.9`` (the official key names, so that
    ``cspdarknet_coco.pth`` and SimREC checkpoints map one to one): a 6x6
    stride-2 stem, then four stages of a stride-2 3x3 convolution and a C3
    block (3, 6, 9, 3 bottlenecks), then SPPF. Layers 4, 6 and 9 give
    256, 512 and 1024 channels at strides 8, 16 and 32. The official
    ``multi_scale_outputs=True`` is ``out_indices=(4, 6, 9)``, ``False`` is
    ``(9,)``; its ``freeze_backbone=True`` is ``frozen_stages=7``.

    Args:
        deepen_factor (float): Scales the number of bottlenecks (at least
            one each). Defaults to 1.0 (YOLOv5-L).
        widen_factor (float): Scales the channels. Defaults to 1.0.
        out_indices (Sequence[int]): Layers whose outputs are returned.
            Defaults to (4, 6, 9).
        frozen_stages (int): Layers ``0..frozen_stages`` get
            ``requires_grad=False``; their BatchNorm stays in train mode, as
            in the official code. -1 freezes nothing. Defaults to -1.
        norm_cfg (dict): Normalisation config. Defaults to PyTorch's
            BatchNorm (eps 1e-5, momentum 0.1), as the official model.
        act_cfg (dict): Activation config. Defaults to SiLU.
        init_cfg (dict, optional): Initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
            for a file written by
            ``tools/model_converters/cspdarknet_to_mmvg.py``.
    """

    def __init__(self,
                 deepen_factor: float = 1.0,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (4, 6, 9),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='SiLU'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(out_indices, frozen_stages, init_cfg)

        def width(channels: int) -> int:
            return int(channels * widen_factor)

        def conv(in_channels: int, out_channels: int, kernel_size: int,
                 stride: int, padding: int) -> ConvModule:
            return ConvModule(
                width(in_channels),
                width(out_channels),
                kernel_size,
                stride=stride,
                padding=padding,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

        def c3(channels: int, num_blocks: int) -> C3:
            return C3(
                width(channels), width(channels),
                max(round(num_blocks * deepen_factor), 1), norm_cfg, act_cfg)

        # The image channels are not widened.
        stem = ConvModule(
            3,
            width(64),
            6,
            stride=2,
            padding=2,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.model = nn.Sequential(
            stem, conv(64, 128, 3, 2, 1), c3(128, 3), conv(128, 256, 3, 2, 1),
            c3(256, 6), conv(256, 512, 3, 2, 1), c3(512, 9),
            conv(512, 1024, 3, 2, 1), c3(1024, 3),
            SPPF(width(1024), width(1024), norm_cfg, act_cfg))
        self._freeze_and_check()

    @property
    def layers(self) -> nn.Sequential:
        return self.model
