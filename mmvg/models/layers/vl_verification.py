# Copyright (c) mmvg contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class VisualLinguisticVerification(nn.Module):
    """VLTVG's visual-linguistic verification module.

    Every visual position gathers the words it attends to; the cosine
    similarity ``s`` between the projected visual feature and the projected
    gathered text becomes the verification score
    ``scale * exp(-(1 - s) ** power / (2 * sigma ** 2))``, high where the
    image matches the expression. ``scale`` and ``sigma`` are learned.

    Args:
        embed_dims (int): Channels of both modalities. Defaults to 256.
        num_heads (int): Heads of the image-to-text attention.
            Defaults to 8.
        attn_drop (float): Attention dropout. Defaults to 0.1.
        score_scale (float): Initial ``scale``. Defaults to 1.0.
        sigma (float): Initial ``sigma``. Defaults to 0.5.
        power (float): The fixed ``power``. Defaults to 2.0.
        query_with_pos (bool): Whether the visual queries carry their
            position embedding (VLTVG: False). Defaults to False.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 attn_drop: float = 0.1,
                 score_scale: float = 1.0,
                 sigma: float = 0.5,
                 power: float = 2.0,
                 query_with_pos: bool = False) -> None:
        super().__init__()
        self.text_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=attn_drop, batch_first=True)
        self.text_proj = nn.Linear(embed_dims, embed_dims)
        self.img_proj = nn.Linear(embed_dims, embed_dims)
        self.score_scale = nn.Parameter(torch.tensor([score_scale]))
        self.sigma = nn.Parameter(torch.tensor([sigma]))
        self.power = power
        self.query_with_pos = query_with_pos

    def forward(self, img_feat: Tensor, img_pos: Optional[Tensor],
                word_feat: Tensor, word_padding_mask: Tensor) -> Tensor:
        """Score every visual position against the expression.

        Args:
            img_feat (Tensor): (N, HW, C) visual features.
            img_pos (Tensor, optional): (N, HW, C) position embedding.
            word_feat (Tensor): (N, L, C) word features.
            word_padding_mask (Tensor): (N, L) bool, True on padding.

        Returns:
            Tensor: (N, HW, 1) verification scores.
        """
        query = img_feat + img_pos if self.query_with_pos else img_feat
        text_info = self.text_attn(
            query,
            word_feat,
            word_feat,
            key_padding_mask=word_padding_mask,
            need_weights=False)[0]
        similarity = (F.normalize(self.img_proj(img_feat), dim=-1) *
                      F.normalize(self.text_proj(text_info), dim=-1)).sum(
                          dim=-1, keepdim=True)
        return self.score_scale * torch.exp(-(1 - similarity).pow(self.power) /
                                            (2 * self.sigma**2))
