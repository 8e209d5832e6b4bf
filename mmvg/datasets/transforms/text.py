# Copyright (c) mmvg contributors. All rights reserved.
import re
import unicodedata

from mmcv.transforms import BaseTransform

from mmvg.registry import TRANSFORMS

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

    The record's own text stays in ``results['ori_text']`` (set by the
    dataset). Tokenization is the model's (``VGDataPreprocessor``).

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
