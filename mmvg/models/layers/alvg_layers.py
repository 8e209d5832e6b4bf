# Copyright (c) mmvg contributors. All rights reserved.
"""The parts of ALVG's head (Wang et al., NeurIPS 2024): text pooling and
positions, the text-guided query generator, the image enhancement, the
decoder that returns its attention maps, and the mask head.

Attribute names follow the official ``TextGuidedQuerySelectKDDETRHead`` so
that its checkpoints map onto these modules by renaming prefixes (see
:class:`~mmvg.models.heads.ALVGHead`).
"""
import copy
from typing import Tuple

import torch
import torch.nn.functional as F
from mmdet.models.layers import DetrTransformerDecoder
from mmengine.model import BaseModule
from torch import Tensor, nn


def pool_text(text_feats: Tensor,
              text_mask: Tensor,
              quirk: bool = False) -> Tensor:
    """Max-pool the word features of each expression.

    Args:
        text_feats (Tensor): (N, L, C) word features.
        text_mask (Tensor): (N, L) bool, True on padding.
        quirk (bool): Reproduce the official pooling, which indexes the
            features with the bitwise negation of an int64 padding mask:
            ``~0 = -1`` and ``~1 = -2`` pick rows ``L - 1`` (for the real
            tokens) and ``L - 2`` (for the padding), so the result is the
            maximum of row ``L - 1`` (when any token is real) and row
            ``L - 2`` (when any is padding). The released checkpoints were
            trained with it.

    Returns:
        Tensor: (N, C) pooled features.
    """
    length = text_feats.size(1)
    if quirk:
        rows = torch.where(text_mask, length - 2, length - 1)
        picked = text_feats.gather(
            1, rows[..., None].expand(-1, -1, text_feats.size(2)))
        return picked.max(dim=1)[0]
    masked = text_feats.masked_fill(text_mask[..., None], float('-inf'))
    return masked.max(dim=1)[0]


def text_sine_position(length: int,
                       dims: int,
                       int_freq: bool = False,
                       temperature: int = 10000) -> Tensor:
    """1-D sine positions of the words, sin and cos interleaved.

    Args:
        length (int): Number of words.
        dims (int): Channels, even.
        int_freq (bool): Cast the frequencies to integers, as the official
            code does; only the first (1) survives, the others become 0,
            so channel 0 is ``sin(pos)``, channel 1 ``cos(pos)``, and the
            others 0 (sin) or 1 (cos). The released checkpoints were
            trained with it.
        temperature (int): The frequency base.

    Returns:
        Tensor: (length, dims) float32 positions.
    """
    freqs = 1 / temperature**(torch.arange(dims // 2) / (dims / 2))
    if int_freq:
        freqs = freqs.long().float()
    angles = torch.arange(length, dtype=torch.float32)[:, None] * freqs
    pos = torch.zeros(length, dims)
    pos[:, 0::2] = angles.sin()
    pos[:, 1::2] = angles.cos()
    return pos


def xavier_matrices(module: nn.Module) -> None:
    """Xavier-uniform every parameter with more than one dimension, the
    attention projections included, as DETR-style transformers do."""
    for param in module.parameters():
        if param.dim() > 1:
            nn.init.xavier_uniform_(param)


class TextGuidedQueryGenerator(BaseModule):
    """Queries generated from the expression.

    Learnt query embeddings attend to the words through a post-norm DETR
    decoder (mmdet's ``DetrTransformerDecoder``, zero targets); its output
    plus the pooled text plus the embeddings are the decoder's query
    positions.

    Args:
        num_queries (int): Queries. Defaults to 1.
        embed_dims (int): Channels. Defaults to 256.
        decoder (dict): ``DetrTransformerDecoder`` arguments. Defaults to
            the official two layers, 8 heads, FFN 512, dropout 0.1.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 num_queries: int = 1,
                 embed_dims: int = 256,
                 decoder: dict = dict(
                     num_layers=2,
                     layer_cfg=dict(
                         self_attn_cfg=dict(
                             embed_dims=256, num_heads=8, attn_drop=0.1),
                         cross_attn_cfg=dict(
                             embed_dims=256, num_heads=8, attn_drop=0.1),
                         ffn_cfg=dict(
                             embed_dims=256,
                             feedforward_channels=512,
                             ffn_drop=0.1))),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.query_embed = nn.Embedding(num_queries, embed_dims)
        self.decoder = DetrTransformerDecoder(**decoder)

    def forward(self, text_feats: Tensor, text_pos: Tensor, text_mask: Tensor,
                text_pooled: Tensor) -> Tensor:
        """Generate the query positions.

        Args:
            text_feats (Tensor): (N, L, C) projected word features.
            text_pos (Tensor): (N, L, C) word positions.
            text_mask (Tensor): (N, L) bool, True on padding.
            text_pooled (Tensor): (N, C) pooled text.

        Returns:
            Tensor: (N, Q, C) query positions.
        """
        embed = self.query_embed.weight[None].expand(
            text_feats.size(0), -1, -1)
        generated = self.decoder(
            query=torch.zeros_like(embed),
            key=text_feats,
            value=text_feats,
            query_pos=embed,
            key_pos=text_pos,
            key_padding_mask=text_mask)[-1]  # the last layer, post-normed
        return generated + text_pooled[:, None] + embed


class ImgEnhance(BaseModule):
    """Gate the image features by their relevance to the expression.

    The cosine between each projected position (features + positions) and
    the projected pooled text, standardised over the positions (unbiased
    std), gives a score ``2 * sigmoid``; the output is the projected image
    times that score.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        dropout (float): Dropout on both projections. Defaults to 0.1.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 dropout: float = 0.1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.text_proj = nn.Linear(embed_dims, embed_dims)
        self.img_proj = nn.Linear(embed_dims, embed_dims)
        self.dropout = nn.Dropout(dropout)

    def init_weights(self) -> None:
        """Xavier on the matrices, as the official transformer."""
        super().init_weights()
        xavier_matrices(self)

    def forward(self, img_feats: Tensor, img_pos: Tensor,
                text_pooled: Tensor) -> Tuple[Tensor, Tensor]:
        """Enhance the image.

        Args:
            img_feats (Tensor): (N, HW, C) projected image features.
            img_pos (Tensor): (N, HW, C) positions.
            text_pooled (Tensor): (N, C) pooled text.

        Returns:
            tuple[Tensor, Tensor]: The enhanced features (N, HW, C) and the
            score (N, HW) in (0, 2).
        """
        img = self.dropout(self.img_proj(img_feats + img_pos))
        text = self.dropout(self.text_proj(text_pooled))
        cosine = torch.einsum('nlc,nc->nl', F.normalize(img, dim=-1),
                              F.normalize(text, dim=-1))
        cosine = (cosine - cosine.mean(dim=1, keepdim=True)) / cosine.std(
            dim=1, keepdim=True)
        score = 2 * cosine.sigmoid()
        return img * score[..., None], score


class ALVGDecoderLayer(nn.Module):
    """A post-norm decoder layer whose cross-attention returns its
    head-averaged weights.

    Unlike DETR's layer, the cross-attention's residual starts from the
    query *with* its position, as the official layer (and its checkpoints)
    do. The FFN is ReLU.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden channels. Defaults to 2048.
        dropout (float): Dropout of attention weights and residuals.
            Defaults to 0.1.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(embed_dims, feedforward_channels)
        self.linear2 = nn.Linear(feedforward_channels, embed_dims)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.norm3 = nn.LayerNorm(embed_dims)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query: Tensor, query_pos: Tensor, memory: Tensor,
                memory_pos: Tensor,
                memory_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """Run the layer.

        Args:
            query (Tensor): (N, Q, C) targets.
            query_pos (Tensor): (N, Q, C) query positions.
            memory (Tensor): (N, HW, C) image features.
            memory_pos (Tensor): (N, HW, C) their positions.
            memory_mask (Tensor): (N, HW) bool, True on padding.

        Returns:
            tuple[Tensor, Tensor]: The queries (N, Q, C) and the attention
            weights (N, Q, HW).
        """
        q = query + query_pos
        query = self.norm1(
            query +
            self.dropout(self.self_attn(q, q, query, need_weights=False)[0]))
        q = query + query_pos
        out, attn = self.cross_attn(
            q, memory + memory_pos, memory, key_padding_mask=memory_mask)
        q = self.norm3(q + self.dropout(out))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(q))))
        return self.norm2(q + self.dropout(ffn)), attn


class ALVGDecoder(BaseModule):
    """ALVG's decoder: every layer's queries and attention maps.

    Args:
        num_layers (int): Layers. Defaults to 3.
        layer_cfg (dict): :class:`ALVGDecoderLayer` arguments.
        chain_queries (bool): Feed each layer the previous layer's output.
            The official decoder feeds every layer the same zero targets
            (its layers run side by side on the same memory), and its
            checkpoints were trained so. Defaults to False.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 num_layers: int = 3,
                 layer_cfg: dict = dict(),
                 chain_queries: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        layer = ALVGDecoderLayer(**layer_cfg)
        self.layers = nn.ModuleList(
            copy.deepcopy(layer) for _ in range(num_layers))
        self.chain_queries = chain_queries

    def init_weights(self) -> None:
        """Xavier on the matrices, as the official transformer."""
        super().init_weights()
        xavier_matrices(self)

    def forward(self, query_pos: Tensor, memory: Tensor, memory_pos: Tensor,
                memory_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """Decode from zero targets.

        Args:
            query_pos (Tensor): (N, Q, C) query positions.
            memory (Tensor): (N, HW, C) image features.
            memory_pos (Tensor): (N, HW, C) their positions.
            memory_mask (Tensor): (N, HW) bool, True on padding.

        Returns:
            tuple[Tensor, Tensor]: Queries (S, N, Q, C) and attention
            weights (S, N, Q, HW) of the S layers.
        """
        zeros = torch.zeros_like(query_pos)
        query, all_queries, all_attn = zeros, [], []
        for layer in self.layers:
            out, attn = layer(query if self.chain_queries else zeros,
                              query_pos, memory, memory_pos, memory_mask)
            query = out
            all_queries.append(out)
            all_attn.append(attn)
        return torch.stack(all_queries), torch.stack(all_attn)


class ALVGMaskHead(BaseModule):
    """A 3x3 conv-BN-ReLU and three stride-2 transposed convolutions: mask
    logits at 8 times the feature resolution.

    ``cross_attn`` and ``norm`` exist in the official checkpoints but the
    official forward never uses them; they are kept so that the
    checkpoints load strictly.

    Args:
        in_channels (int): Channels of the features. Defaults to 256.
        channels (int): Channels after the 3x3 conv. Defaults to 128.
        num_heads (int): Heads of the unused attention. Defaults to 8.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 in_channels: int = 256,
                 channels: int = 128,
                 num_heads: int = 8,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.cross_attn = nn.MultiheadAttention(in_channels, num_heads)
        self.norm = nn.LayerNorm(in_channels)
        self.refine = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        layers = []
        for c_in, c_out in ((channels, channels // 2), (channels // 2,
                                                        channels // 4)):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True)
            ]
        layers.append(
            nn.ConvTranspose2d(channels // 4, 1, 4, stride=2, padding=1))
        # The official head ends in a sigmoid (index 7, no weights); the
        # logits are returned so that the loss can choose its activation.
        self.upsample = nn.Sequential(*layers)

    def init_weights(self) -> None:
        """Caffe2's XavierFill (Kaiming uniform, a=1) on the 3x3 conv,
        as the official code (detectron2's conv helper) does."""
        super().init_weights()
        nn.init.kaiming_uniform_(self.refine[0].weight, a=1)

    def forward(self, feats: Tensor, pos: Tensor) -> Tensor:
        """Predict mask logits.

        Args:
            feats (Tensor): (N, C, h, w) features.
            pos (Tensor): (N, C, h, w) positions, added to them.

        Returns:
            Tensor: (N, 8h, 8w) logits.
        """
        return self.upsample(self.refine(feats + pos))[:, 0]
