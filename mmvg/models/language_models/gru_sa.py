# Copyright (c) mmvg contributors. All rights reserved.
"""The GRU + self-attention text encoder of SimREC and MCN.

Word embeddings (GloVe-initialised, frozen) feed a one-layer GRU, then
``depth`` post-norm self-attention blocks in the MCAN style, then an
attention pooling (``AttFlat``) to one sentence vector. The official code
(luogen1996/SimREC) calls the encoder ``LSTM_SA``; the sub-module names
here are the official ones (``embedding``, ``lstm``, ``sa_list.{i}``,
``att_flat``), so its checkpoints convert by renaming the prefix only.
"""
import os.path as osp
import warnings
from typing import Dict, Mapping, Optional, Sized, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvg.datasets.tokenizers import load_word_vocab
from mmvg.registry import MODELS

_HOW_TO_GET_GLOVE = (
    'Download glove.840B.300d.zip from https://nlp.stanford.edu/projects/'
    'glove/ and unzip it (glove.840B.300d.txt), or give a .npy matrix of '
    'the vocabulary\'s vectors in vocabulary order; set `glove_file=None` '
    'to start from random embeddings.')
# How many missing words the warning lists.
_NUM_EXAMPLES = 10


def check_vocab_size(vocab: Sized, embedding_rows: int, source: str) -> None:
    """Refuse a word vocabulary whose size differs from the embedding's.

    Args:
        vocab (Sized): The vocabulary (``{word: id}``).
        embedding_rows (int): The rows of the word embedding.
        source (str): What is compared (files, checkpoint), for the
            message.

    Raises:
        ValueError: The sizes differ; the message gives both.
    """
    if len(vocab) != embedding_rows:
        raise ValueError(
            f'{source}: the vocabulary has {len(vocab)} words but the word '
            f'embedding has {embedding_rows} rows. The embedding rows '
            'follow the vocabulary the model was trained with: build it '
            'from the same annotations (data_tools/build_vocab.py; '
            '`--order first_seen` for official SimREC/MCN models).')


def _read_glove_text(path: str, vocab: Mapping[str, int],
                     dims: int) -> Tuple[np.ndarray, np.ndarray]:
    """The vectors of the vocabulary's words in a GloVe text file.

    Returns:
        tuple[ndarray, ndarray]: The (V, dims) float32 matrix (zeros where
        a word is missing) and a bool (V, ) array, True on found rows.
    """
    vectors = np.zeros((len(vocab), dims), dtype=np.float32)
    found = np.zeros(len(vocab), dtype=bool)
    with open(path, encoding='utf-8', errors='replace') as f:
        for line_no, line in enumerate(f, 1):
            # Cheap test first: the file has ~2M lines, the vocabulary ~10k.
            if line.split(' ', 1)[0] not in vocab:
                continue
            # A few glove.840B words contain spaces, so the word is what
            # precedes the last ``dims`` fields.
            fields = line.rstrip().rsplit(' ', dims)
            row = vocab.get(fields[0])
            if row is None or found[row]:
                continue  # a longer word that starts like one, or a repeat
            if len(fields) != dims + 1:
                raise ValueError(
                    f'{path}, line {line_no}: the vector of "{fields[0]}" '
                    f'has {len(fields) - 1} values, expected {dims}.')
            vectors[row] = np.asarray(fields[1:], dtype=np.float32)
            found[row] = True
    return vectors, found


def load_word_vectors(path: str, vocab: Mapping[str, int],
                      dims: int) -> np.ndarray:
    """The embedding matrix of a vocabulary from a local GloVe file.

    Words follow the official SimREC rule: each vocabulary entry, the
    specials ``PAD``/``UNK``/``CLS`` included, takes the vector of exactly
    that string (GloVe 840B is cased), and zeros when the file has none.
    Missing words are counted and reported in one warning.

    The official vectors came from spaCy's ``en_vectors_web_lg``, which
    holds 1,070,971 of the 2.2M words of ``glove.840B.300d`` and averages
    the pieces of a word its tokenizer splits (``50%``); the full file
    gives some rare words a vector where the official run had zeros. This
    matters only for training from GloVe: converted checkpoints carry
    their embedding.

    Args:
        path (str): A GloVe text file (``glove.840B.300d.txt``: a word and
            its values per line, separated by spaces) or a ``.npy`` matrix
            (V, dims) already in vocabulary order.
        vocab (Mapping[str, int]): Word -> row.
        dims (int): The vector size.

    Returns:
        ndarray: The (V, dims) float32 matrix.

    Raises:
        FileNotFoundError: ``path`` is missing; the message says where to
            get GloVe.
        ValueError: A ``.npy`` matrix whose shape does not fit, or a
            malformed line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Word vector file not found: {path}. ' +
                                _HOW_TO_GET_GLOVE)
    if path.endswith('.npy'):
        vectors = np.load(path).astype(np.float32)
        check_vocab_size(vocab, vectors.shape[0], path)
        if vectors.shape[1:] != (dims, ):
            raise ValueError(f'{path}: vectors of size {vectors.shape[1:]}, '
                             f'expected ({dims},).')
        return vectors
    vectors, found = _read_glove_text(path, vocab, dims)
    if not found.all():
        words = sorted(vocab, key=vocab.get)
        missing = [words[row] for row in np.flatnonzero(~found)]
        warnings.warn(
            f'{len(missing)} of {len(vocab)} vocabulary words have no vector '
            f'in {path} and start from zeros (the official rule), e.g. '
            f'{missing[:_NUM_EXAMPLES]}.')
    return vectors


class MCANLayerNorm(nn.Module):
    """MCAN's layer norm: ``w * (x - mean) / (std + eps) + b``.

    It differs from :class:`torch.nn.LayerNorm` in the unbiased standard
    deviation and ``eps`` added outside the square root; the official
    weights were trained with it.
    """

    def __init__(self, dims: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dims))
        self.bias = nn.Parameter(torch.zeros(dims))

    def forward(self, x: Tensor) -> Tensor:
        centred = x - x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True)
        return self.weight * centred / (std + self.eps) + self.bias


class _LinearReLU(nn.Module):
    """Linear, ReLU, dropout (the official ``FC``; key ``linear``)."""

    def __init__(self, in_dims: int, out_dims: int, dropout: float) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dims, out_dims)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(F.relu(self.linear(x)))


class _MLP(nn.Module):
    """Two linear layers with a ReLU between (keys ``fc.linear``,
    ``linear``)."""

    def __init__(self, in_dims: int, mid_dims: int, out_dims: int,
                 dropout: float) -> None:
        super().__init__()
        self.fc = _LinearReLU(in_dims, mid_dims, dropout)
        self.linear = nn.Linear(mid_dims, out_dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(self.fc(x))


def _masked_softmax(logits: Tensor, masked: Tensor, dim: int) -> Tensor:
    """Softmax with ``masked`` positions at the dtype's minimum.

    The official code fills -1e9 (attention) and -1e4 (pooling); any fill
    far below the logits gives the same weights, including the uniform
    weights of a row that is masked everywhere, and the dtype's minimum
    stays finite in half precision.
    """
    return logits.masked_fill(masked,
                              torch.finfo(logits.dtype).min).softmax(dim=dim)


class _MultiHeadAttention(nn.Module):
    """MCAN's multi-head attention (keys ``linear_{v,k,q,merge}``)."""

    def __init__(self, dims: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        if dims % num_heads:
            raise ValueError(f'{dims} channels do not split into '
                             f'{num_heads} heads')
        self.num_heads = num_heads
        self.linear_v = nn.Linear(dims, dims)
        self.linear_k = nn.Linear(dims, dims)
        self.linear_q = nn.Linear(dims, dims)
        self.linear_merge = nn.Linear(dims, dims)
        self.dropout = nn.Dropout(dropout)

    def _heads(self, x: Tensor) -> Tensor:
        n, length, dims = x.shape
        return x.view(n, length, self.num_heads,
                      dims // self.num_heads).transpose(1, 2)

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        """Self-attention over ``x`` (N, L, C); ``pad_mask`` (N, L) is True
        on padding, which no position attends to."""
        q, k, v = (
            self._heads(linear(x))
            for linear in (self.linear_q, self.linear_k, self.linear_v))
        scores = q @ k.transpose(-2, -1) / q.size(-1)**0.5
        weights = _masked_softmax(scores, pad_mask[:, None, None, :], dim=-1)
        out = self.dropout(weights) @ v
        return self.linear_merge(out.transpose(1, 2).flatten(2))


class SelfAttentionBlock(nn.Module):
    """A post-norm transformer block (the official ``SA``).

    Args:
        dims (int): Channels.
        num_heads (int): Attention heads.
        ffn_dims (int): Hidden channels of the feed-forward network.
        dropout (float): Dropout of the attention weights, the residual
            branches and the feed-forward hidden layer.
    """

    def __init__(self, dims: int, num_heads: int, ffn_dims: int,
                 dropout: float) -> None:
        super().__init__()
        self.mhatt = _MultiHeadAttention(dims, num_heads, dropout)
        # The official FFN wraps its MLP once more: keys ``ffn.mlp.*``.
        self.ffn = nn.Module()
        self.ffn.mlp = _MLP(dims, ffn_dims, dims, dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.norm1 = MCANLayerNorm(dims)
        self.dropout2 = nn.Dropout(dropout)
        self.norm2 = MCANLayerNorm(dims)

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        x = self.norm1(x + self.dropout1(self.mhatt(x, pad_mask)))
        return self.norm2(x + self.dropout2(self.ffn.mlp(x)))


class AttFlat(nn.Module):
    """Attention pooling of a sequence into one vector (MCAN's AttFlat).

    An MLP scores every position ``glimpses`` times; glimpse ``g`` pools
    the ``g``-th channel group with its softmax weights over the real
    tokens, and a linear layer merges the groups.

    Args:
        dims (int): Channels, in and out.
        glimpses (int): Attention maps (channel groups). Defaults to 1.
        dropout (float): Dropout of the MLP's hidden layer.
            Defaults to 0.1.
    """

    def __init__(self,
                 dims: int,
                 glimpses: int = 1,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if dims % glimpses:
            raise ValueError(f'{dims} channels do not split into '
                             f'{glimpses} glimpses')
        self.glimpses = glimpses
        self.mlp = _MLP(dims, dims // 2, glimpses, dropout)
        self.linear_merge = nn.Linear(dims, dims)

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        """Pool ``x`` (N, L, C) over its real tokens (``pad_mask`` (N, L) is
        True on padding) into (N, C)."""
        weights = _masked_softmax(self.mlp(x), pad_mask[..., None], dim=1)
        groups = x.unflatten(-1, (self.glimpses, -1))
        pooled = torch.einsum('nlg,nlgc->ngc', weights, groups)
        return self.linear_merge(pooled.flatten(1))


@MODELS.register_module()
class GRUSATextEncoder(BaseModule):
    """GRU + self-attention text encoder of SimREC and MCN.

    Word embedding (``word_dims``) -> one-layer unidirectional GRU
    (``embed_dims``; the official code calls it ``lstm``) -> ``depth``
    :class:`SelfAttentionBlock` -> :class:`AttFlat` sentence vector.
    Official settings: SimREC ``depth=1``, MCN ``depth=3``, otherwise the
    defaults.

    The embedding has one row per vocabulary word: ``vocab_size`` rows, or
    as many as the words of ``vocab_file`` (read at construction) when
    ``vocab_size`` is None. :meth:`init_weights` loads it from
    ``glove_file`` (see :func:`load_word_vectors`), so that a later
    ``load_from`` checkpoint wins; without ``glove_file`` it keeps
    PyTorch's random N(0, 1) initialisation, like the official
    ``use_glove=False``.

    It follows mmvg's text-encoder contract: :meth:`forward` takes the
    stacked ``tokens`` and returns ``word_feats``, ``word_mask`` (True on
    real tokens) and ``sent_feat``. Real tokens come from
    ``attention_mask``; with :class:`~mmvg.datasets.WordVocabTokenizer`
    this equals the official ``input_ids != 0`` (PAD is id 0 and no word
    maps to it).

    Args:
        vocab_size (int, optional): Rows of the word embedding.
        vocab_file (str, optional): The word vocabulary JSON (the
            tokenizer's); needed for ``glove_file`` and when
            ``vocab_size`` is None.
        glove_file (str, optional): A local ``glove.840B.300d.txt`` or a
            ``.npy`` matrix in vocabulary order. Defaults to None.
        word_dims (int): Word vector size. Defaults to 300.
        embed_dims (int): GRU hidden size and output channels.
            Defaults to 512.
        depth (int): Self-attention blocks. Defaults to 1.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): Feed-forward hidden channels. Defaults to 2048.
        flat_glimpses (int): AttFlat glimpses. Defaults to 1.
        dropout (float): Dropout of the attention blocks and AttFlat.
            Defaults to 0.1.
        freeze_embedding (bool): Freeze the word embedding.
            Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 vocab_size: Optional[int] = None,
                 vocab_file: Optional[str] = None,
                 glove_file: Optional[str] = None,
                 word_dims: int = 300,
                 embed_dims: int = 512,
                 depth: int = 1,
                 num_heads: int = 8,
                 ffn_dims: int = 2048,
                 flat_glimpses: int = 1,
                 dropout: float = 0.1,
                 freeze_embedding: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if vocab_size is None:
            if vocab_file is None:
                raise ValueError('GRUSATextEncoder needs `vocab_size` or '
                                 '`vocab_file`.')
            vocab_size = len(load_word_vocab(vocab_file))
        if glove_file is not None and vocab_file is None:
            raise ValueError('`glove_file` needs `vocab_file`, the '
                             'vocabulary whose words it looks up.')
        self.vocab_file = vocab_file
        self.glove_file = glove_file
        self.embed_dims = embed_dims
        self.embedding = nn.Embedding(vocab_size, word_dims)
        self.embedding.requires_grad_(not freeze_embedding)
        # The official GRU passes dropout, which a one-layer GRU ignores.
        self.lstm = nn.GRU(word_dims, embed_dims, batch_first=True)
        self.sa_list = nn.ModuleList(
            SelfAttentionBlock(embed_dims, num_heads, ffn_dims, dropout)
            for _ in range(depth))
        self.att_flat = AttFlat(embed_dims, flat_glimpses, dropout)

    def init_weights(self) -> None:
        """Load the word embedding from ``glove_file``."""
        super().init_weights()
        if self.glove_file is None:
            return
        vocab = load_word_vocab(self.vocab_file)
        check_vocab_size(vocab, self.embedding.num_embeddings,
                         f'{self.vocab_file} against the text encoder')
        vectors = load_word_vectors(self.glove_file, vocab,
                                    self.embedding.embedding_dim)
        with torch.no_grad():
            self.embedding.weight.copy_(torch.from_numpy(vectors))

    def forward(self, tokens: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Encode a batch of word ids.

        Args:
            tokens (dict[str, Tensor]): ``input_ids`` and
                ``attention_mask`` (1 on real tokens), each (N, L).

        Returns:
            dict[str, Tensor]: ``word_feats`` (N, L, C) after the
            self-attention blocks, ``word_mask`` (N, L) bool, True on real
            tokens, and ``sent_feat`` (N, C), the AttFlat vector.
        """
        word_mask = tokens['attention_mask'].bool()
        pad_mask = ~word_mask
        # The GRU runs over the padding too (as the official one); it is
        # unidirectional and the padding trails, so real tokens never see
        # it, and the blocks and AttFlat mask it out.
        feats, _ = self.lstm(self.embedding(tokens['input_ids']))
        for block in self.sa_list:
            feats = block(feats, pad_mask)
        return dict(
            word_feats=feats,
            word_mask=word_mask,
            sent_feat=self.att_flat(feats, pad_mask))
