# Copyright (c) mmvg contributors. All rights reserved.
from typing import Tuple

from torch import Tensor, nn

from .relative_position_attention import RelativePositionAttention


class LanguageGuidedContextEncoder(nn.Module):
    """VLTVG's language-guided context encoder and feature fusion.

    Each visual position is conditioned on the expression (it attends to
    the words); a self-attention with 2-D relative positions whose queries
    and keys are the conditioned features then gathers the context of the
    referred object. The discriminative feature is
    ``(LN(visual) + LN(context)) * verification_score``.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Heads of both attentions. Defaults to 8.
        attn_drop (float): Attention dropout. Defaults to 0.1.
        max_offset (int): See :class:`RelativePositionAttention`.
            Defaults to 20.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 attn_drop: float = 0.1,
                 max_offset: int = 20) -> None:
        super().__init__()
        self.text_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=attn_drop, batch_first=True)
        self.context_attn = RelativePositionAttention(
            embed_dims, num_heads, attn_drop=attn_drop, max_offset=max_offset)
        self.norm_img = nn.LayerNorm(embed_dims)
        self.norm_context = nn.LayerNorm(embed_dims)

    def forward(self, img_feat: Tensor, img_padding_mask: Tensor,
                hw_shape: Tuple[int, int], word_feat: Tensor,
                word_padding_mask: Tensor, verify_score: Tensor) -> Tensor:
        """Compute the discriminative visual features.

        Args:
            img_feat (Tensor): (N, HW, C) visual features.
            img_padding_mask (Tensor): (N, HW) bool, True on padding.
            hw_shape (tuple[int, int]): (H, W) of the feature map.
            word_feat (Tensor): (N, L, C) word features.
            word_padding_mask (Tensor): (N, L) bool, True on padding.
            verify_score (Tensor): (N, HW, 1) verification scores.

        Returns:
            Tensor: (N, HW, C) discriminative features.
        """
        text_cond = self.text_attn(
            img_feat,
            word_feat,
            word_feat,
            key_padding_mask=word_padding_mask,
            need_weights=False)[0]
        query_key = img_feat + text_cond
        context = self.context_attn(query_key, query_key, img_feat,
                                    img_padding_mask, hw_shape)
        return (self.norm_img(img_feat) +
                self.norm_context(context)) * verify_score
