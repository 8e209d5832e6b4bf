# Copyright (c) mmvg contributors. All rights reserved.
import torch
from mmcv.cnn.bricks.transformer import FFN
from torch import Tensor, nn


class MultiStageDecoderLayer(nn.Module):
    """One stage of VLTVG's multi-stage cross-modal decoder.

    The object query first reads the expression (text attention; the
    result, normalised, becomes a text-conditioned query), then gathers
    visual evidence with it: keys are the discriminative features, values
    the plain visual features. A residual FFN follows.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Heads of both attentions. Defaults to 8.
        attn_drop (float): Attention dropout. Defaults to 0.1.
        feedforward_channels (int): FFN hidden channels. Defaults to 2048.
        ffn_drop (float): FFN dropout (VLTVG: 0). Defaults to 0.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 attn_drop: float = 0.1,
                 feedforward_channels: int = 2048,
                 ffn_drop: float = 0.) -> None:
        super().__init__()
        self.text_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=attn_drop, batch_first=True)
        self.img_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=attn_drop, batch_first=True)
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=ffn_drop,
            act_cfg=dict(type='ReLU', inplace=True))
        self.norms = nn.ModuleList(
            [nn.LayerNorm(embed_dims) for _ in range(3)])

    def forward(self, query: Tensor, query_pos: Tensor, text_query_pos: Tensor,
                img_key: Tensor, img_value: Tensor, img_pos: Tensor,
                img_padding_mask: Tensor, word_feat: Tensor,
                word_padding_mask: Tensor) -> Tensor:
        """Refine the object query by one stage.

        Args:
            query (Tensor): (N, Q, C) object queries.
            query_pos (Tensor): (N, Q, C) their embedding for text reading.
            text_query_pos (Tensor): (N, Q, C) the embedding of the
                text-conditioned queries.
            img_key (Tensor): (N, HW, C) discriminative features.
            img_value (Tensor): (N, HW, C) visual features.
            img_pos (Tensor): (N, HW, C) position embedding.
            img_padding_mask (Tensor): (N, HW) bool, True on padding.
            word_feat (Tensor): (N, L, C) word features.
            word_padding_mask (Tensor): (N, L) bool, True on padding.

        Returns:
            Tensor: (N, Q, C) refined queries.
        """
        text_info = self.text_attn(
            query + query_pos,
            word_feat,
            word_feat,
            key_padding_mask=word_padding_mask,
            need_weights=False)[0]
        text_query = self.norms[0](text_info)
        visual_info = self.img_attn(
            text_query + text_query_pos,
            img_key + img_pos,
            img_value,
            key_padding_mask=img_padding_mask,
            need_weights=False)[0]
        query = self.norms[1](query + visual_info)
        return self.norms[2](self.ffn(query))


class MultiStageDecoder(nn.Module):
    """VLTVG's multi-stage cross-modal decoder.

    Starting from zero queries, every stage refines the object query; the
    normalised query of every stage is returned so that each stage gets a
    box and a loss.

    Args:
        num_layers (int): Stages. Defaults to 6.
        num_queries (int): Object queries (VLTVG: 1). Defaults to 1.
        layer_cfg (dict, optional): :class:`MultiStageDecoderLayer`
            arguments.
    """

    def __init__(self,
                 num_layers: int = 6,
                 num_queries: int = 1,
                 layer_cfg: dict = None) -> None:
        super().__init__()
        layer_cfg = layer_cfg or {}
        self.layers = nn.ModuleList(
            [MultiStageDecoderLayer(**layer_cfg) for _ in range(num_layers)])
        embed_dims = self.layers[0].norms[0].normalized_shape[0]
        self.norm = nn.LayerNorm(embed_dims)
        self.query_pos = nn.Embedding(num_queries, embed_dims)
        self.text_query_pos = nn.Embedding(num_queries, embed_dims)

    def forward(self, img_key: Tensor, img_value: Tensor, img_pos: Tensor,
                img_padding_mask: Tensor, word_feat: Tensor,
                word_padding_mask: Tensor) -> Tensor:
        """Run all stages.

        Args:
            img_key (Tensor): (N, HW, C) discriminative features.
            img_value (Tensor): (N, HW, C) visual features.
            img_pos (Tensor): (N, HW, C) position embedding.
            img_padding_mask (Tensor): (N, HW) bool, True on padding.
            word_feat (Tensor): (N, L, C) word features.
            word_padding_mask (Tensor): (N, L) bool, True on padding.

        Returns:
            Tensor: (num_layers, N, Q, C) the normalised query per stage.
        """
        batch = img_key.size(0)
        query_pos = self.query_pos.weight[None].expand(batch, -1, -1)
        text_query_pos = self.text_query_pos.weight[None].expand(batch, -1, -1)
        query = torch.zeros_like(query_pos)
        stages = []
        for layer in self.layers:
            query = layer(query, query_pos, text_query_pos, img_key, img_value,
                          img_pos, img_padding_mask, word_feat,
                          word_padding_mask)
            stages.append(self.norm(query))
        return torch.stack(stages)
