# Copyright (c) mmvg contributors. All rights reserved.
"""LAVT's pixel-word attention module (PWAM) and language gate.

Reference: Yang et al., "LAVT: Language-Aware Vision Transformer for
Referring Image Segmentation", CVPR 2022.

All point-wise projections are ``nn.Linear`` on token-major features
``(B, N, C)``; they are the 1x1 convolutions of the paper.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

# LAVT pushes padded words out of the softmax with this additive penalty.
_PAD_PENALTY = 1e4


def _norm_over_pixels(x: torch.Tensor) -> torch.Tensor:
    """Instance-normalise each channel over the pixel axis of (B, N, C)."""
    return F.instance_norm(x.transpose(1, 2)).transpose(1, 2)


class LAVTPixelWordAttention(BaseModule):
    """Cross-attention from every pixel to the words of the expression.

    Queries come from the visual features (instance-normalised), keys and
    values from the word features; padded words are masked out. The
    attended language feature of each pixel is projected and
    instance-normalised.

    Args:
        visual_channels (int): Channels of the visual features.
        lang_channels (int): Channels of the word features.
        key_channels (int): Channels of queries and keys. The similarity is
            scaled by ``key_channels ** -0.5`` (the whole width, not the
            width of one head), as LAVT does.
        value_channels (int): Channels of values and of the output.
        num_heads (int): Number of attention heads. Defaults to 1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 visual_channels: int,
                 lang_channels: int,
                 key_channels: int,
                 value_channels: int,
                 num_heads: int = 1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if key_channels % num_heads or value_channels % num_heads:
            raise ValueError(f'key_channels ({key_channels}) and '
                             f'value_channels ({value_channels}) must be '
                             f'divisible by num_heads ({num_heads})')
        self.num_heads = num_heads
        self.scale = key_channels**-0.5
        self.query_proj = nn.Linear(visual_channels, key_channels)
        self.key_proj = nn.Linear(lang_channels, key_channels)
        self.value_proj = nn.Linear(lang_channels, value_channels)
        self.out_proj = nn.Linear(value_channels, value_channels)

    def forward(self, visual: torch.Tensor, lang: torch.Tensor,
                lang_mask: torch.Tensor) -> torch.Tensor:
        """Attend from pixels to words.

        Args:
            visual (Tensor): Visual features of shape (B, N, C_v).
            lang (Tensor): Word features of shape (B, L, C_l).
            lang_mask (Tensor): 1 for real words, 0 for padding, (B, L).

        Returns:
            Tensor: Language features per pixel, (B, N, value_channels).
        """
        batch, num_pixels = visual.shape[:2]
        mask = lang_mask.to(visual.dtype)[:, :, None]  # B, L, 1
        query = _norm_over_pixels(self.query_proj(visual))
        key = self.key_proj(lang) * mask
        value = self.value_proj(lang) * mask

        def split_heads(x: torch.Tensor) -> torch.Tensor:
            return x.reshape(x.shape[0], x.shape[1], self.num_heads,
                             -1).transpose(1, 2)

        sim = split_heads(query) @ split_heads(key).transpose(-2, -1)
        sim = sim * self.scale
        penalty = _PAD_PENALTY * (mask.transpose(1, 2)[:, None] - 1)
        attn = (sim + penalty).softmax(dim=-1)  # B, heads, N, L
        out = (attn @ split_heads(value)).transpose(1, 2)
        out = out.reshape(batch, num_pixels, -1)
        return _norm_over_pixels(self.out_proj(out))


class LAVTPWAM(BaseModule):
    """Pixel-word attention module: fuses words into every pixel.

    The visual features are projected (GELU), multiplied element-wise with
    the pixel-word attention output, and projected again (GELU). The result
    is both the stage output fed to the decoder and the residual that the
    language gate adds back to the visual stream.

    Args:
        channels (int): Channels of the visual features (and the output).
        lang_channels (int): Channels of the word features. Defaults to
            768 (BERT-base).
        num_heads (int): Heads of the pixel-word attention. Defaults to 1.
        dropout (float): Dropout after each projection. Defaults to 0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 lang_channels: int = 768,
                 num_heads: int = 1,
                 dropout: float = 0.,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.vis_proj = nn.Linear(channels, channels)
        self.attn = LAVTPixelWordAttention(
            visual_channels=channels,
            lang_channels=lang_channels,
            key_channels=channels,
            value_channels=channels,
            num_heads=num_heads)
        self.mm_proj = nn.Linear(channels, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, visual: torch.Tensor, lang: torch.Tensor,
                lang_mask: torch.Tensor) -> torch.Tensor:
        """Fuse language into visual features.

        Args:
            visual (Tensor): Visual features of shape (B, N, C).
            lang (Tensor): Word features of shape (B, L, C_l).
            lang_mask (Tensor): 1 for real words, 0 for padding, (B, L).

        Returns:
            Tensor: Multi-modal features of shape (B, N, C).
        """
        vis = self.dropout(F.gelu(self.vis_proj(visual)))
        lang_per_pixel = self.attn(visual, lang, lang_mask)
        return self.dropout(F.gelu(self.mm_proj(vis * lang_per_pixel)))


class LAVTLanguageGate(nn.Sequential):
    """Language gate: a per-element tanh gate computed from the PWAM output.

    ``Linear -> ReLU -> Linear -> Tanh``, both linear layers without bias;
    the gated residual ``gate(f) * f`` is added to the visual stream.

    Args:
        channels (int): Channels of the gated features.
    """

    def __init__(self, channels: int) -> None:
        super().__init__(
            nn.Linear(channels, channels, bias=False), nn.ReLU(),
            nn.Linear(channels, channels, bias=False), nn.Tanh())
