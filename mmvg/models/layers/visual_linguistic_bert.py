# Copyright (c) mmvg contributors. All rights reserved.
"""The visual-linguistic BERT of VL-BERT (Su et al., ICLR 2020).

One BERT encoder reads the words and the regions of an image as one
sequence, ``[CLS] words [SEP] region_0 .. region_n [END]``, packed without
gaps (each sample's regions follow its last word). Every word also carries
the feature of the whole image, and every region its own feature; both go
through a LayerNorm whose weight starts at zero in the official recipe,
so that the visual input fades in from a text-only BERT. The layer names
are those of the official ``VisualLinguisticBert`` (and of BERT below
``encoder``), so checkpoints convert by prefix.
"""
from typing import Dict, Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from transformers import BertConfig, BertModel
from transformers.models.bert.modeling_bert import BertEncoder

from mmvg.models.language_models.bert import check_bert_dir

#: Token types: words keep BERT's segment 0, regions and ``[END]`` use 2.
REGION_TOKEN_TYPE = 2


class VisualLinguisticBert(BaseModule):
    """BERT over words and regions.

    Args:
        vocab_size (int): Word vocabulary. Defaults to 30522.
        hidden_size (int): Channels. Defaults to 768.
        num_hidden_layers (int): Transformer layers. Defaults to 12.
        num_attention_heads (int): Heads. Defaults to 12.
        intermediate_size (int): FFN channels. Defaults to 3072.
        hidden_dropout_prob (float): Dropout after the embeddings and in
            every layer. Defaults to 0.1.
        attention_probs_dropout_prob (float): Dropout of the attention
            weights. Defaults to 0.1.
        max_position_embeddings (int): Positions. Defaults to 512.
        type_vocab_size (int): Token types; 3, since regions use type 2.
            Defaults to 3.
        initializer_range (float): Std of the normal initialisation.
            Defaults to 0.02.
        visual_scale_text_init (float): The initial weight of
            ``visual_ln_text`` (the official config key): 0 lets the image
            fade in from a text-only BERT. Defaults to 0.
        visual_scale_object_init (float): The same for
            ``visual_ln_object``. Defaults to 0.
        attn_implementation (str): ``'sdpa'`` or ``'eager'``, as in
            :class:`~mmvg.models.language_models.BertTextEncoder`.
            Defaults to 'sdpa'.
        pretrained (str, optional): A local BERT directory (transformers
            format) whose embeddings and layers initialise this model in
            :meth:`init_weights`; its rows of token types 0 and 1 fill the
            first two of the three. Defaults to None.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 vocab_size: int = 30522,
                 hidden_size: int = 768,
                 num_hidden_layers: int = 12,
                 num_attention_heads: int = 12,
                 intermediate_size: int = 3072,
                 hidden_dropout_prob: float = 0.1,
                 attention_probs_dropout_prob: float = 0.1,
                 max_position_embeddings: int = 512,
                 type_vocab_size: int = 3,
                 initializer_range: float = 0.02,
                 visual_scale_text_init: float = 0.,
                 visual_scale_object_init: float = 0.,
                 attn_implementation: str = 'sdpa',
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if type_vocab_size <= REGION_TOKEN_TYPE:
            raise ValueError('type_vocab_size must be at least 3 (regions '
                             f'are token type 2), got {type_vocab_size}')
        self.config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            hidden_act='gelu',
            hidden_dropout_prob=hidden_dropout_prob,
            attention_probs_dropout_prob=attention_probs_dropout_prob,
            max_position_embeddings=max_position_embeddings,
            type_vocab_size=type_vocab_size,
            initializer_range=initializer_range,
            layer_norm_eps=1e-12,
            attn_implementation=attn_implementation)
        self.pretrained = pretrained
        self.word_embeddings = nn.Embedding(vocab_size, hidden_size)
        self.end_embedding = nn.Embedding(1, hidden_size)
        self.position_embeddings = nn.Embedding(max_position_embeddings,
                                                hidden_size)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, hidden_size)
        self.embedding_LayerNorm = nn.LayerNorm(hidden_size, eps=1e-12)
        self.embedding_dropout = nn.Dropout(hidden_dropout_prob)
        self.visual_ln_text = nn.LayerNorm(hidden_size, eps=1e-12)
        self.visual_ln_object = nn.LayerNorm(hidden_size, eps=1e-12)
        self.encoder = BertEncoder(self.config)
        self.hidden_size = hidden_size
        self.visual_scale_init = (visual_scale_text_init,
                                  visual_scale_object_init)
        self._init_bert_weights()

    def _init_bert_weights(self) -> None:
        """BERT's initialisation; the visual LayerNorms start at
        ``visual_scale_{text,object}_init``."""
        std = self.config.initializer_range
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        text_init, object_init = self.visual_scale_init
        nn.init.constant_(self.visual_ln_text.weight, text_init)
        nn.init.constant_(self.visual_ln_object.weight, object_init)

    def init_weights(self) -> None:
        """Load the embeddings and layers of the BERT of ``pretrained``."""
        super().init_weights()
        if self.pretrained is None:
            return
        check_bert_dir(self.pretrained)
        bert = BertModel.from_pretrained(
            self.pretrained, add_pooling_layer=False).state_dict()
        self.load_state_dict(bert_to_vlbert(bert, self), strict=False)

    def forward(self, input_ids: Tensor, text_mask: Tensor, image_feat: Tensor,
                region_feats: Tensor, region_embed: Tensor,
                region_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """Encode a batch.

        Words and regions are prefixes of their rows: the padding of
        either is at the end.

        Args:
            input_ids (Tensor): (B, T) word ids, ``[CLS]`` and ``[SEP]``
                included.
            text_mask (Tensor): (B, T) bool, True on words.
            image_feat (Tensor): (B, C) the whole image's feature, added to
                every word.
            region_feats (Tensor): (B, N, C) the regions' features.
            region_embed (Tensor): (C, ) the linguistic embedding every
                region carries.
            region_mask (Tensor): (B, N) bool, True on regions.

        Returns:
            tuple[Tensor, Tensor]: The encoded words (B, T, C) and regions
            (B, N, C), zero at padding.
        """
        batch, num_words = input_ids.shape
        num_regions = region_feats.size(1)
        device = input_ids.device
        n_text = text_mask.sum(1)
        n_region = region_mask.sum(1)
        end = n_text + n_region
        length = int(end.max()) + 1
        rows = torch.arange(batch, device=device)

        words = (
            self.word_embeddings(input_ids) +
            self.visual_ln_text(image_feat)[:, None])
        regions = self.visual_ln_object(region_feats) + region_embed

        word_pos = torch.arange(num_words, device=device).expand(batch, -1)
        region_pos = n_text[:, None] + torch.arange(num_regions, device=device)
        word_index = (rows[:, None].expand_as(word_pos)[text_mask],
                      word_pos[text_mask])
        region_index = (rows[:, None].expand_as(region_pos)[region_mask],
                        region_pos[region_mask])
        embeds = words.new_zeros(batch, length, self.hidden_size)
        embeds[word_index] = words[text_mask]
        embeds[region_index] = regions[region_mask]
        embeds[rows, end] = self.end_embedding.weight[0].to(embeds.dtype)

        # Every region shares the position after the words, [END] the next.
        grid = torch.arange(length, device=device).expand(batch, -1)
        is_region = (grid >= n_text[:, None]) & (grid <= end[:, None])
        position_ids = torch.where(is_region, n_text[:, None], grid)
        position_ids = torch.where(grid == end[:, None], n_text[:, None] + 1,
                                   position_ids)
        token_type_ids = torch.where(is_region, REGION_TOKEN_TYPE, 0)
        embeds = embeds + self.position_embeddings(
            position_ids) + self.token_type_embeddings(token_type_ids)
        embeds = self.embedding_dropout(self.embedding_LayerNorm(embeds))

        valid = grid <= end[:, None]
        # BERT's additive mask: 0 where attended, a large negative else.
        attention_mask = (~valid)[:, None, None].to(
            embeds.dtype) * torch.finfo(embeds.dtype).min
        hidden = self.encoder(embeds, attention_mask).last_hidden_state

        text_out = hidden.new_zeros(batch, num_words, self.hidden_size)
        text_out[text_mask] = hidden[word_index]
        region_out = hidden.new_zeros(batch, num_regions, self.hidden_size)
        region_out[region_mask] = hidden[region_index]
        return text_out, region_out


def bert_to_vlbert(bert: Dict[str, Tensor],
                   model: VisualLinguisticBert) -> Dict[str, Tensor]:
    """The state dict of a ``transformers`` ``BertModel`` (no pooler) as
    :class:`VisualLinguisticBert` weights.

    BERT's two token-type rows fill rows 0 and 1; row 2 (regions) keeps
    its initialisation. A BERT of another width or depth fails, naming
    both shapes.

    Args:
        bert (dict): ``BertModel.state_dict()``.
        model (VisualLinguisticBert): The model to be loaded, for the
            untouched token-type row and the shape check.

    Returns:
        dict: The weights to load, non-strictly.
    """
    renamed = {}
    for key, value in bert.items():
        if key.startswith('encoder.'):
            renamed[key] = value
        elif key.startswith('embeddings.LayerNorm.'):
            renamed['embedding_LayerNorm.' + key.split('.')[-1]] = value
        elif key in ('embeddings.word_embeddings.weight',
                     'embeddings.position_embeddings.weight'):
            renamed[key[len('embeddings.'):]] = value
    types = bert['embeddings.token_type_embeddings.weight']
    table = model.token_type_embeddings.weight.detach().clone()
    if types.size(1) != table.size(1):
        raise ValueError(
            f'The BERT of "{model.pretrained}" has {types.size(1)} channels, '
            f'the visual-linguistic BERT {table.size(1)}: use the BERT of '
            'the same size (base or large) as the config')
    table[:types.size(0)] = types
    renamed['token_type_embeddings.weight'] = table
    own = model.state_dict()
    for key, value in renamed.items():
        if key not in own or own[key].shape != value.shape:
            raise ValueError(
                f'The BERT of "{model.pretrained}" does not fit the '
                f'visual-linguistic BERT at {key}: '
                f'{tuple(value.shape)} vs '
                f'{tuple(own[key].shape) if key in own else "absent"}')
    return renamed
