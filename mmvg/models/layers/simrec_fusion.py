# Copyright (c) mmvg contributors. All rights reserved.
"""SimREC's and MCN's vision-language fusion layers.

``SimpleFusion`` weighs a visual map by the sentence vector,
``MultiScaleFusion`` mixes three scales top-down and bottom-up, and
``GaranAttention`` (collect and diffuse, from MCN) attends over one map
with the sentence vector. Sub-module names are those of the SimREC
repository, so that its checkpoints load after a prefix rename.
"""
import math
from typing import List, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmvg.registry import MODELS
from .darknet_conv import darknet_conv


def _conv_bn_leaky(in_channels: int, out_channels: int) -> nn.Sequential:
    """A 1x1 conv with bias, BatchNorm and LeakyReLU(0.1), children
    numbered ``0``/``1``/``2``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels),
        nn.LeakyReLU(0.1))


@MODELS.register_module()
class SimpleFusion(nn.Module):
    """Multiply a projected visual map by the projected sentence vector.

    ``norm(v_proj(x) * q_proj(sent))``: both projections are 1x1 convs
    with BatchNorm and LeakyReLU(0.1), the product is normalised again.
    The sentence's BatchNorm sees one value per channel and sample, so
    training needs more than one sample per batch (as officially).

    Args:
        v_planes (int): Visual channels.
        q_planes (int): Sentence-vector channels.
        out_planes (int): Output channels.
    """

    def __init__(self, v_planes: int, q_planes: int, out_planes: int) -> None:
        super().__init__()
        self.v_proj = _conv_bn_leaky(v_planes, out_planes)
        self.q_proj = _conv_bn_leaky(q_planes, out_planes)
        self.norm = nn.Sequential(
            nn.BatchNorm2d(out_planes), nn.LeakyReLU(0.1))

    def forward(self, x: Tensor, sent: Tensor) -> Tensor:
        """(B, v_planes, H, W) and (B, q_planes) -> (B, out_planes, H, W).
        """
        return self.norm(self.v_proj(x) * self.q_proj(sent[:, :, None, None]))


@MODELS.register_module()
class MultiScaleFusion(nn.Module):
    """A top-down then bottom-up pyramid over three scales (strides s,
    2s, 4s).

    Top-down, the coarser map is upsampled x2 (bilinear,
    ``align_corners=True``), reduced by a 1x1 and a 3x3 darknet conv and
    concatenated to the finer one; bottom-up, the finer result is average
    pooled /2, reduced the same way and concatenated to the coarser one.
    A 1x1 darknet conv projects each level to ``hidden_planes``.

    Args:
        v_planes (Sequence[int]): Channels of the three inputs, finest
            first. SimREC: (512, 512, 512) after its fusions; MCN:
            (256, 512, 1024).
        hidden_planes (int): Output channels; the pyramid's own maps have
            half as many. Defaults to 512.
        scaled (bool): Resample between levels (False: the three inputs
            share one resolution). Defaults to True.
    """

    def __init__(self,
                 v_planes: Sequence[int] = (256, 512, 1024),
                 hidden_planes: int = 512,
                 scaled: bool = True) -> None:
        super().__init__()
        fine, mid, coarse = v_planes
        half = hidden_planes // 2

        def stage(resample: nn.Module, in_planes: int) -> nn.Sequential:
            # index 0 (no parameters) keeps the official keys' numbering
            return nn.Sequential(resample if scaled else nn.Sequential(),
                                 darknet_conv(in_planes, half, 1),
                                 darknet_conv(half, half, 3))

        def upsample() -> nn.Module:
            return nn.Upsample(
                scale_factor=2, mode='bilinear', align_corners=True)

        # [0]: middle -> finest, [1]: coarsest -> middle
        self.up_modules = nn.ModuleList(
            [stage(upsample(), mid + half),
             stage(upsample(), coarse)])
        # [0]: finest -> middle, [1]: middle -> coarsest
        self.down_modules = nn.ModuleList([
            stage(nn.AvgPool2d(2, 2), fine + half),
            stage(nn.AvgPool2d(2, 2), mid + half + half)
        ])
        self.top_proj = darknet_conv(coarse + half, hidden_planes, 1)
        self.mid_proj = darknet_conv(mid + half + half, hidden_planes, 1)
        self.bot_proj = darknet_conv(fine + half, hidden_planes, 1)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Three maps, finest first -> [finest, middle, coarsest], each
        with ``hidden_planes`` channels at its input's resolution."""
        fine, mid, coarse = feats
        mid = torch.cat([self.up_modules[1](coarse), mid], 1)
        fine = torch.cat([self.up_modules[0](mid), fine], 1)
        mid = torch.cat([self.down_modules[0](fine), mid], 1)
        coarse = torch.cat([self.down_modules[1](mid), coarse], 1)
        return [self.bot_proj(fine), self.mid_proj(mid), self.top_proj(coarse)]


@MODELS.register_module()
class GaranAttention(nn.Module):
    """Collect-diffuse attention of a visual map guided by a sentence
    vector (MCN's GARAN).

    Per head, the query collects one vector from the map (softmax over the
    positions of ``q . k_c``) and diffuses it back to every position with
    a sigmoid gate (``k_d . q``), both scaled by ``1 / sqrt(d_head)``.
    The heads' maps are projected (``w_o``), batch-normalised, added to
    the input and passed through LeakyReLU(0.1).

    The official code lays the diffused map out as (width, height) and
    reads it back as (height, width): on the square maps SimREC and MCN
    use this transposes it. Kept, so converted checkpoints behave alike.

    Args:
        d_q (int): Sentence-vector channels.
        d_v (int): Visual (and output) channels.
        n_head (int): Heads. Defaults to 2.
        attn_drop (float): Dropout on the collect and diffuse weights.
            Defaults to 0.1.
    """

    def __init__(self,
                 d_q: int,
                 d_v: int,
                 n_head: int = 2,
                 attn_drop: float = 0.1) -> None:
        super().__init__()
        self.n_head = n_head
        self.temperature = math.sqrt(d_v // n_head)
        self.w_qs = nn.Linear(d_q, d_v)
        self.w_kc = nn.Conv2d(d_v, d_v, 1)
        self.w_kd = nn.Conv2d(d_v, d_v, 1)
        self.w_vs = nn.Conv2d(d_v, d_v, 1)
        self.w_m = nn.Conv2d(d_v, 1, 3, padding=1)
        self.w_o = nn.Conv2d(d_v, d_v, 1)
        self.layer_norm = nn.BatchNorm2d(d_v)
        self.act = nn.LeakyReLU(0.1)
        self.collect_drop = nn.Dropout(attn_drop)
        self.diffuse_drop = nn.Dropout(attn_drop)

    def forward(self, sent: Tensor,
                x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Attend over ``x`` with ``sent``.

        Args:
            sent (Tensor): (B, d_q) sentence vectors.
            x (Tensor): (B, d_v, H, W) visual map.

        Returns:
            tuple[Tensor]: the fused map (B, d_v, H, W); the map logits
            (B, H * W) of ``w_m`` (MCN's ``x_map``/``y_map``); the
            projected attention features (B, d_v, H, W) before the norm
            (``x_attn``/``y_attn``).
        """
        batch, channels, height, width = x.shape
        heads = self.n_head

        def split_heads(conv: nn.Conv2d) -> Tensor:
            return conv(x).view(batch, heads, channels // heads, -1)

        query = self.w_qs(sent).view(batch, heads, -1)
        keys_c, keys_d = split_heads(self.w_kc), split_heads(self.w_kd)
        values = split_heads(self.w_vs)
        collect = torch.einsum('bnd,bndp->bnp', query,
                               keys_c) / self.temperature
        collect = self.collect_drop(collect.softmax(-1))
        collected = torch.einsum('bnp,bndp->bnd', collect, values)
        diffuse = torch.einsum('bndp,bnd->bnp', keys_d,
                               query) / self.temperature
        diffuse = self.diffuse_drop(diffuse.sigmoid())
        # (B, heads, d_head, H*W); the official code stores each map
        # transposed, (W, H), and reads that memory back as (H, W)
        diffused = collected[..., None] * diffuse[:, :, None]
        diffused = diffused.view(batch, channels, height, width).transpose(
            2, 3).reshape(batch, channels, height, width)
        attn = self.w_o(diffused)
        map_logits = self.w_m(attn).view(batch, -1)
        out = self.act(self.layer_norm(attn) + x)
        return out, map_logits, attn
