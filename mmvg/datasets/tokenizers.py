# Copyright (c) mmvg contributors. All rights reserved.
"""Tokenizers of the models' ``VGDataPreprocessor``.

Each is a callable ``text -> dict`` of 1-D LongTensors (``input_ids``,
``attention_mask``, ...), registered in ``TASK_UTILS`` so that a config
can swap them. A tokenizer's ``max_length`` is the one place a model cuts
its text.
"""
import json
import re
from collections import Counter
from typing import Dict, Iterable, Optional

import torch

from mmvg.registry import TASK_UTILS

# Ids of the special words of a word vocabulary (SimREC's convention).
WORD_SPECIALS = {'PAD': 0, 'UNK': 1, 'CLS': 2}
_PUNCT = re.compile(r'''[.,'!?"()*#:;]''')


def split_words(text: str) -> list:
    """Lower-case, drop punctuation, split on spaces, hyphens, slashes."""
    text = _PUNCT.sub('', text.lower())
    return text.replace('-', ' ').replace('/', ' ').split()


def build_word_vocab(texts: Iterable[str],
                     min_freq: int = 1) -> Dict[str, int]:
    """Build a word vocabulary (word -> id) from training expressions.

    Args:
        texts (Iterable[str]): Expressions of the training split only, so
            that no val/test word leaks into the model.
        min_freq (int): Words seen fewer times map to ``UNK``.

    Returns:
        dict[str, int]: Special words first, then words by frequency
        (ties alphabetically, so the result is deterministic).
    """
    counts = Counter(w for t in texts for w in split_words(t))
    vocab = dict(WORD_SPECIALS)
    for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= min_freq and word not in vocab:
            vocab[word] = len(vocab)
    return vocab


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
    """Word-level tokenizer for LSTM text encoders (SimREC).

    The vocabulary is read on first use, so a model that holds this
    tokenizer builds before the file exists (the synthetic quick start
    writes it with the data).

    Args:
        vocab_file (str): JSON ``{word: id}`` written by
            ``data_tools/build_vocab.py`` from the training split.
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

    @property
    def vocab(self) -> Dict[str, int]:
        if self._vocab is None:
            try:
                with open(self.vocab_file, encoding='utf-8') as f:
                    self._vocab = json.load(f)
            except FileNotFoundError:
                raise FileNotFoundError(
                    f'Vocabulary file not found: {self.vocab_file}; build '
                    'it with data_tools/build_vocab.py.') from None
        return self._vocab

    def __call__(self, text: str) -> Dict[str, torch.Tensor]:
        vocab = self.vocab
        ids = [vocab.get(w, vocab['UNK']) for w in split_words(text)]
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
