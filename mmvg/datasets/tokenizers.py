# Copyright (c) mmvg contributors. All rights reserved.
"""Tokenizers of the models' ``VGDataPreprocessor``.

Each is a callable ``text -> dict`` of 1-D LongTensors (``input_ids``,
``attention_mask``, ...), registered in ``TASK_UTILS`` so that a config
can swap them. A tokenizer's ``max_length`` is the one place a model cuts
its text.
"""
import json
import os.path as osp
import re
import warnings
from collections import Counter
from typing import Dict, Iterable, Optional

import torch

from mmvg.registry import TASK_UTILS

# Ids of the special words of a word vocabulary (SimREC's convention).
WORD_SPECIALS = {'PAD': 0, 'UNK': 1, 'CLS': 2}
# SimREC's cleaning: these characters are deleted, '-' and '/' split words.
_PUNCT = re.compile(r'''[.,'!?"()*#:;]''')
VOCAB_ORDERS = ('frequency', 'first_seen')


def clean_expression(text: str) -> str:
    """Lower-case, delete punctuation, make ``-`` and ``/`` spaces.

    The cleaning of the official SimREC/MCN and ALVG/SimVG data code.
    """
    return _PUNCT.sub('', text.lower()).replace('-', ' ').replace('/', ' ')


def split_words(text: str) -> list:
    """:func:`clean_expression`, then split on whitespace."""
    return clean_expression(text).split()


def build_word_vocab(texts: Iterable[str],
                     min_freq: int = 1,
                     order: str = 'frequency') -> Dict[str, int]:
    """Build a word vocabulary (word -> id) from expressions.

    Args:
        texts (Iterable[str]): The expressions. For ``'frequency'``, those
            of the training split only, so that no val/test word leaks
            into the model; for ``'first_seen'``, every expression of
            every split in the official order (see ``order``).
        min_freq (int): Words seen fewer times map to ``UNK``.
        order (str): ``'frequency'``: words by decreasing frequency, ties
            alphabetically (deterministic). ``'first_seen'``: words in the
            order they first occur, the official SimREC/MCN vocabulary
            when ``texts`` are all expressions of all splits of the
            annotation file in file order. Defaults to ``'frequency'``.

    Returns:
        dict[str, int]: The special words (``PAD`` 0, ``UNK`` 1, ``CLS``
        2), then the words.
    """
    if order not in VOCAB_ORDERS:
        raise ValueError(f'order must be one of {VOCAB_ORDERS}, got '
                         f'{order!r}')
    # A Counter keeps first-insertion order, which 'first_seen' uses.
    counts = Counter(w for t in texts for w in split_words(t))
    words = counts.items()
    if order == 'frequency':
        words = sorted(words, key=lambda kv: (-kv[1], kv[0]))
    vocab = dict(WORD_SPECIALS)
    for word, n in words:
        if n >= min_freq and word not in vocab:
            vocab[word] = len(vocab)
    return vocab


def load_word_vocab(vocab_file: str) -> Dict[str, int]:
    """Read a word vocabulary JSON (``{word: id}``).

    Raises:
        FileNotFoundError: The file is missing; the message names it and
            how to build it.
    """
    try:
        with open(vocab_file, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(
            f'Vocabulary file not found: {vocab_file}; build it with '
            'data_tools/build_vocab.py.') from None


def _pad(ids: list, max_length: int, pad_id: int,
         pad_to_max_length: bool) -> Dict[str, torch.Tensor]:
    ids = ids[:max_length]
    mask = [1] * len(ids)
    if pad_to_max_length:
        mask += [0] * (max_length - len(ids))
        ids = ids + [pad_id] * (max_length - len(ids))
    return dict(
        input_ids=torch.tensor(ids, dtype=torch.long),
        attention_mask=torch.tensor(mask, dtype=torch.long))


@TASK_UTILS.register_module()
class WordVocabTokenizer:
    """Word-level tokenizer for LSTM/GRU text encoders (SimREC, MCN).

    The vocabulary is read on first use, so a model that holds this
    tokenizer builds before the file exists (the synthetic quick start
    writes it with the data). Words missing from the vocabulary become
    ``UNK``; an expression of more than ``max_length`` words keeps its
    first ``max_length`` (as the official SimREC code does), and the first
    such expression is reported in one warning per tokenizer.

    Args:
        vocab_file (str): JSON ``{word: id}`` written by
            ``data_tools/build_vocab.py``.
        max_length (int): Longer expressions are truncated. Defaults to 15.
        pad_to_max_length (bool): Pad to ``max_length``. Defaults to True.
    """

    def __init__(self,
                 vocab_file: str,
                 max_length: int = 15,
                 pad_to_max_length: bool = True) -> None:
        self.vocab_file = vocab_file
        self.max_length = max_length
        self.pad_to_max_length = pad_to_max_length
        self._vocab = None
        self._warned_truncation = False

    @property
    def vocab(self) -> Dict[str, int]:
        if self._vocab is None:
            self._vocab = load_word_vocab(self.vocab_file)
        return self._vocab

    def __call__(self, text: str) -> Dict[str, torch.Tensor]:
        vocab = self.vocab
        words = split_words(text)
        if len(words) > self.max_length and not self._warned_truncation:
            self._warned_truncation = True
            warnings.warn(
                f'WordVocabTokenizer ({self.vocab_file}): expressions longer '
                f'than max_length={self.max_length} words are cut to their '
                f'first {self.max_length} (reported once; the first has '
                f'{len(words)} words: {text!r}).')
        ids = [vocab.get(w, vocab['UNK']) for w in words]
        return _pad(ids, self.max_length, vocab['PAD'], self.pad_to_max_length)


@TASK_UTILS.register_module()
class HFTokenizer:
    """A Hugging Face tokenizer loaded from a local directory on first use.

    Args:
        name_or_path (str): Directory holding the tokenizer files
            (``vocab.txt`` for BERT). Nothing is downloaded.
        max_length (int): The length text is cut to, special tokens
            included: the one place an mmvg model cuts its text. Defaults
            to 20.
        pad_to_max_length (bool): Pad to ``max_length`` (the official
            VLTVG recipe does). Defaults to True.
        truncation (str): ``'special'``: Hugging Face's truncation, which
            keeps the closing special token (``[SEP]``) of a long
            expression (VLTVG). ``'ids'``: encode the whole expression and
            keep its first ``max_length`` ids, dropping ``[SEP]`` (LAVT).
            Defaults to ``'special'``.
        tokenizer_kwargs (dict, optional): Passed to ``from_pretrained``.
    """

    def __init__(self,
                 name_or_path: str,
                 max_length: int = 20,
                 pad_to_max_length: bool = True,
                 truncation: str = 'special',
                 tokenizer_kwargs: Optional[dict] = None) -> None:
        if truncation not in ('special', 'ids'):
            raise ValueError('truncation must be "special" or "ids", got '
                             f'"{truncation}"')
        self.name_or_path = name_or_path
        self.max_length = max_length
        self.pad_to_max_length = pad_to_max_length
        self.truncation = truncation
        self.tokenizer_kwargs = tokenizer_kwargs or {}
        self._tokenizer = None

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer
            try:
                self._tokenizer = AutoTokenizer.from_pretrained(
                    self.name_or_path,
                    local_files_only=True,
                    **self.tokenizer_kwargs)
            except OSError as e:
                raise FileNotFoundError(
                    f'No tokenizer files found at {self.name_or_path} ({e}). '
                    'Put the tokenizer (e.g. vocab.txt and '
                    'tokenizer_config.json of bert-base-uncased) there: '
                    'nothing is downloaded.') from e
        return self._tokenizer

    def __call__(self, text: str) -> Dict[str, torch.Tensor]:
        if self.truncation == 'ids':
            ids = self.tokenizer(text)['input_ids']
            return _pad(ids, self.max_length, self.tokenizer.pad_token_id,
                        self.pad_to_max_length)
        out = self.tokenizer(
            text,
            max_length=self.max_length,
            truncation=True,
            padding='max_length' if self.pad_to_max_length else False)
        return {k: torch.tensor(v, dtype=torch.long) for k, v in out.items()}


@TASK_UTILS.register_module()
class BEiT3Tokenizer:
    """The BEiT-3 tokenizer (ALVG, SimVG): SentencePiece with XLM-R ids.

    The expression is cleaned as the official ALVG/SimVG code does
    (:func:`clean_expression`), split into pieces by the SentencePiece
    model ``beit3.spm`` and numbered as fairseq's XLM-R dictionary does:
    ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3, every other piece its
    SentencePiece id + 1 (the ids of ``transformers.XLMRobertaTokenizer``
    on the same file). At most ``max_length - 2`` pieces are kept between
    ``<s>`` and ``</s>``. An expression left with no piece after cleaning
    (only punctuation) becomes ``<s></s>``, where the official loader
    raises, so that every sample still predicts.

    Args:
        spm_file (str): The SentencePiece model ``beit3.spm`` of the BEiT-3
            release (github.com/microsoft/unilm, folder ``beit3``). Read on
            first use; nothing is downloaded.
        max_length (int): The length text is cut to, ``<s>`` and ``</s>``
            included. Defaults to 20 (ALVG, SimVG).
        pad_to_max_length (bool): Pad with ``<pad>`` to ``max_length``.
            Defaults to True.
    """
    BOS, PAD, EOS, UNK = 0, 1, 2, 3

    def __init__(self,
                 spm_file: str,
                 max_length: int = 20,
                 pad_to_max_length: bool = True) -> None:
        if max_length < 2:
            raise ValueError('max_length must leave room for <s> and </s>, '
                             f'got {max_length}')
        self.spm_file = spm_file
        self.max_length = max_length
        self.pad_to_max_length = pad_to_max_length
        self._processor = None

    @property
    def processor(self):
        if self._processor is None:
            if not osp.isfile(self.spm_file):
                raise FileNotFoundError(
                    f'SentencePiece model not found: {self.spm_file}. Get '
                    '"beit3.spm" from the BEiT-3 release '
                    '(https://github.com/microsoft/unilm/tree/master/beit3, '
                    'section "Text Tokenizer") and put it there.')
            import sentencepiece
            self._processor = sentencepiece.SentencePieceProcessor(
                model_file=self.spm_file)
        return self._processor

    def __call__(self, text: str) -> Dict[str, torch.Tensor]:
        pieces = self.processor.encode(clean_expression(text))
        # SentencePiece's <unk> is 0; fairseq's dictionary shifts the rest
        # by one to make room for <pad>.
        ids = [i + 1 if i else self.UNK for i in pieces]
        ids = [self.BOS] + ids[:self.max_length - 2] + [self.EOS]
        return _pad(ids, self.max_length, self.PAD, self.pad_to_max_length)
