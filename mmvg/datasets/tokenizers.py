# Copyright (c) mmvg contributors. All rights reserved.
"""Tokenizers used by the :class:`Tokenize` transform.

Each is a callable ``text -> dict`` of 1-D LongTensors (``input_ids``,
``attention_mask``, ...), registered in ``TASK_UTILS`` so that a config
can swap them.
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
        try:
            with open(vocab_file, encoding='utf-8') as f:
                self.vocab = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(f'Vocabulary file not found: '
                                    f'{vocab_file}; build it with '
                                    'data_tools/build_vocab.py.') from None
        self.max_length = max_length
        self.pad_to_max_length = pad_to_max_length

    def __call__(self, text: str) -> Dict[str, torch.Tensor]:
        unk = self.vocab['UNK']
        ids = [self.vocab.get(w, unk) for w in split_words(text)]
        return _pad(ids, self.max_length, self.vocab['PAD'],
                    self.pad_to_max_length)


@TASK_UTILS.register_module()
class HFTokenizer:
    """A Hugging Face tokenizer loaded from a local directory.

    Args:
        name_or_path (str): Directory holding the tokenizer files
            (``vocab.txt`` for BERT). Nothing is downloaded.
        max_length (int): Truncation length, special tokens included.
            Defaults to 20.
        pad_to_max_length (bool): Pad to ``max_length`` (the official
            VLTVG/LAVT recipes do). Defaults to True.
        tokenizer_kwargs (dict, optional): Passed to ``from_pretrained``.
    """

    def __init__(self,
                 name_or_path: str,
                 max_length: int = 20,
                 pad_to_max_length: bool = True,
                 tokenizer_kwargs: Optional[dict] = None) -> None:
        from transformers import AutoTokenizer
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                name_or_path,
                local_files_only=True,
                **(tokenizer_kwargs or {}))
        except OSError as e:
            raise FileNotFoundError(
                f'No tokenizer files found at {name_or_path} ({e}). Put the '
                'tokenizer (e.g. vocab.txt and tokenizer_config.json of '
                'bert-base-uncased) there: nothing is downloaded.') from e
        self.max_length = max_length
        self.pad_to_max_length = pad_to_max_length

    def __call__(self, text: str) -> Dict[str, torch.Tensor]:
        out = self.tokenizer(
            text,
            max_length=self.max_length,
            truncation=True,
            padding='max_length' if self.pad_to_max_length else False)
        return {k: torch.tensor(v, dtype=torch.long) for k, v in out.items()}
