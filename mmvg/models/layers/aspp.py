# Copyright (c) mmvg contributors. All rights reserved.
"""The atrous spatial pyramid pooling decoder of MCN's mask branch."""
import torch
from torch import Tensor, nn

from mmvg.registry import MODELS
from .darknet_conv import darknet_conv


@MODELS.register_module()
class ASPPDecoder(nn.Module):
    """Five parallel branches - a 1x1 conv, three 3x3 convs dilated 6, 12
    and 18, and a 1x1 conv of the global average - concatenated and
    projected by a 1x1 conv (with bias) to ``out_channels``.

    The global branch runs its BatchNorm on a 1x1 map, so training needs
    more than one sample per batch (as in the official code).

    Args:
        in_channels (int): Input channels.
        hidden_channels (int): Channels of each branch.
        out_channels (int): Output channels (MCN: 1, the mask logit).
    """

    def __init__(self, in_channels: int, hidden_channels: int,
                 out_channels: int) -> None:
        super().__init__()
        self.conv0 = darknet_conv(in_channels, hidden_channels, 1)
        self.conv1 = darknet_conv(in_channels, hidden_channels, 3, dilation=6)
        self.conv2 = darknet_conv(in_channels, hidden_channels, 3, dilation=12)
        self.conv3 = darknet_conv(in_channels, hidden_channels, 3, dilation=18)
        self.conv4 = darknet_conv(in_channels, hidden_channels, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_proj = nn.Conv2d(hidden_channels * 5, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """(B, in_channels, H, W) -> (B, out_channels, H, W)."""
        branches = [
            conv(x)
            for conv in (self.conv0, self.conv1, self.conv2, self.conv3)
        ]
        branches.append(self.conv4(self.pool(x)).expand_as(branches[0]))
        return self.out_proj(torch.cat(branches, dim=1))
