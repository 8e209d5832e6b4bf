# Copyright (c) mmvg contributors. All rights reserved.
import re
import unicodedata

from mmcv.transforms import BaseTransform

from mmvg.registry import TASK_UTILS, TRANSFORMS

# Whole words only: "bright", "upright" and "leftover" stay as they are.
_SIDE_WORDS = re.compile(r'\b(left|right)(most|ward|wards)?\b', re.IGNORECASE)
_SWAP = {'left': 'right', 'right': 'left'}


def swap_left_right(text: str) -> str:
    """Swap the whole words left and right (and leftmost, rightward ...),
    keeping their case."""

    def repl(m: re.Match) -> str:
        word = m.group(1)
        new = _SWAP[word.lower()]
        if word.isupper():
            new = new.upper()
        elif word[0].isupper():
            new = new.capitalize()
        return new + (m.group(2) or '')

    return _SIDE_WORDS.sub(repl, text)


@TRANSFORMS.register_module()
class CleanText(BaseTransform):
    """Normalise ``results['text']``: unicode NFKC, whitespace collapsed,
    optionally lower-cased.

    Args:
        lowercase (bool): Lower-case the text. Defaults to True.
    """

    def __init__(self, lowercase: bool = True) -> None:
        self.lowercase = lowercase

    def transform(self, results: dict) -> dict:
        text = unicodedata.normalize('NFKC', results['text'])
        text = ' '.join(text.split())
        results['text'] = text.lower() if self.lowercase else text
        return results


@TRANSFORMS.register_module()
class Tokenize(BaseTransform):
    """Tokenize ``results['text']`` into ``results['tokens']``.

    Args:
        tokenizer (dict): Config of a tokenizer in ``TASK_UTILS``, e.g.
            ``dict(type='HFTokenizer', name_or_path='data/bert-base-uncased',
            max_length=20)`` or ``dict(type='WordVocabTokenizer',
            vocab_file=..., max_length=15)``.
    """

    def __init__(self, tokenizer: dict) -> None:
        self.tokenizer_cfg = tokenizer
        self.tokenizer = TASK_UTILS.build(tokenizer)

    def transform(self, results: dict) -> dict:
        results['tokens'] = self.tokenizer(results['text'])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(tokenizer={self.tokenizer_cfg})'
