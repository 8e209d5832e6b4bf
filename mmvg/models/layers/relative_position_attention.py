# Copyright (c) mmvg contributors. All rights reserved.
import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sine_offset_table(num_feats: int,
                      max_offset: int,
                      temperature: int = 10000) -> Tensor:
    """Sine embeddings of the integer offsets ``-max_offset..max_offset``.

    Offsets are normalised to [-2*pi, 2*pi] as DETR normalises absolute
    positions; channel pairs hold sin and cos of one frequency.

    Args:
        num_feats (int): Channels of the embedding.
        max_offset (int): The largest absolute offset.
        temperature (int): The frequency base. Defaults to 10000.

    Returns:
        Tensor: (2 * max_offset + 1, num_feats).
    """
    offsets = torch.arange(-max_offset, max_offset + 1, dtype=torch.float32)
    offsets = offsets / (max_offset + 1e-6) * 2 * math.pi
    freq_index = torch.arange(num_feats, dtype=torch.float32) // 2
    freqs = temperature**(2 * freq_index / num_feats)
    angles = offsets[:, None] / freqs
    table = torch.empty_like(angles)
    table[:, 0::2] = angles[:, 0::2].sin()
    table[:, 1::2] = angles[:, 1::2].cos()
    return table


class RelativePositionAttention(nn.Module):
    """Multi-head self-attention over a feature map with 2-D relative
    position terms, as in VLTVG's language-guided context encoder.

    Besides the content term ``q . k``, every (query, key) pair gets
    ``q . Wk^y e(dy) + q . Wk^x e(dx)``: the sine embedding ``e`` of the
    row/column offset between the two positions, projected by the key
    weights (no bias) of the first/second half of the input channels.
    Positions count valid (unpadded) pixels, offsets beyond ``max_offset``
    are clipped.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Heads. Defaults to 8.
        attn_drop (float): Dropout on the attention weights.
            Defaults to 0.1.
        max_offset (int): The largest relative offset with its own
            embedding (VLTVG: 20, i.e. a 20x20 map of a 640 input).
            Defaults to 20.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 attn_drop: float = 0.1,
                 max_offset: int = 20) -> None:
        super().__init__()
        if embed_dims % num_heads or embed_dims % 2:
            raise ValueError(f'embed_dims ({embed_dims}) must be even and '
                             f'divisible by num_heads ({num_heads})')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.max_offset = max_offset
        self.in_proj_weight = nn.Parameter(
            torch.empty(3 * embed_dims, embed_dims))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dims))
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)
        table = sine_offset_table(embed_dims // 2, max_offset)
        # Row and column tables are equal; both are kept so that the
        # state dict matches the released checkpoints.
        self.register_buffer('pos_y', table.clone())
        self.register_buffer('pos_x', table.clone())

    def _split_heads(self, x: Tensor) -> Tensor:
        n, length, _ = x.shape
        return x.view(n, length, self.num_heads, -1).transpose(1, 2)

    def _offset_logits(self, q: Tensor, table: Tensor, key_weight: Tensor,
                       offsets: Tensor) -> Tensor:
        # (R, C): every offset embedding seen through the key projection.
        # The table is a buffer, which DeepSpeed leaves in float32 when it
        # casts the weights to fp16/bf16.
        rel_keys = table.to(key_weight.dtype) @ key_weight.t()
        rel_keys = rel_keys.view(-1, self.num_heads,
                                 self.embed_dims // self.num_heads)
        logits = torch.einsum('nhld,rhd->nhlr', q, rel_keys)
        index = offsets[:, None].expand(-1, self.num_heads, -1, -1)
        return logits.gather(-1, index)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor, hw_shape: Tuple[int, int]) -> Tensor:
        """Attend from every position of a map to every other.

        Args:
            query (Tensor): (N, H*W, C).
            key (Tensor): (N, H*W, C).
            value (Tensor): (N, H*W, C).
            key_padding_mask (Tensor): (N, H*W) bool, True on padding.
            hw_shape (tuple[int, int]): (H, W) of the map.

        Returns:
            Tensor: (N, H*W, C).
        """
        n, length, dims = query.shape
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        head_dims = dims // self.num_heads
        q = self._split_heads(F.linear(query, w_q, b_q)) * head_dims**-0.5
        k = self._split_heads(F.linear(key, w_k, b_k))
        v = self._split_heads(F.linear(value, w_v, b_v))
        logits = q @ k.transpose(-1, -2)

        valid = ~key_padding_mask.view(n, *hw_shape)
        rows = valid.cumsum(1).view(n, length)
        cols = valid.cumsum(2).view(n, length)
        span = 2 * self.max_offset

        def offsets(pos: Tensor) -> Tensor:
            diff = pos[:, :, None] - pos[:, None, :] + self.max_offset
            return diff.clamp(0, span).long()

        half = dims // 2
        logits = logits + self._offset_logits(q, self.pos_y, w_k[:, :half],
                                              offsets(rows))
        logits = logits + self._offset_logits(q, self.pos_x, w_k[:, half:],
                                              offsets(cols))
        logits = logits.masked_fill(key_padding_mask[:, None, None],
                                    float('-inf'))
        weights = F.dropout(
            logits.softmax(-1), p=self.attn_drop, training=self.training)
        out = (weights @ v).transpose(1, 2).reshape(n, length, dims)
        return self.out_proj(out)
