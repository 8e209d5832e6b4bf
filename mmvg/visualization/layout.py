# Copyright (c) mmvg contributors. All rights reserved.
"""Font sizes and line wrapping of the text the visualizer draws.

Widths are measured with the font matplotlib renders (the visualizer's
``draw_texts``, family ``sans-serif``), so a wrapped line fits its band.
"""
from typing import List

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

FONT_FAMILY = 'sans-serif'
_TEXT_TO_PATH = TextToPath()


def scaled_font_size(height: int, width: int) -> int:
    """The font size, in pixels, for a panel of ``height`` x ``width``.

    It grows with the image (22 px for 640 px) and never falls below 10 px,
    which keeps the 128-256 px images of the synthetic dataset readable.
    """
    return max(10, round(0.035 * max(height, width)))


def text_width(text: str, font_size: float) -> float:
    """The rendered width of ``text`` in pixels at ``font_size`` pixels."""
    width, _, _ = _TEXT_TO_PATH.get_text_width_height_descent(
        text, FontProperties(family=FONT_FAMILY, size=font_size), ismath=False)
    return width


def _split_word(word: str, max_width: float, font_size: float) -> List[str]:
    """Cut a word wider than a line into pieces that fit, at characters."""
    pieces, piece = [], ''
    for char in word:
        if piece and text_width(piece + char, font_size) > max_width:
            pieces.append(piece)
            piece = ''
        piece += char
    return pieces + [piece]


def wrap_text(text: str, max_width: float, font_size: float) -> List[str]:
    """Break ``text`` into lines no wider than ``max_width`` pixels.

    Lines break between words; a single word wider than a line is cut at
    characters. Empty text gives no line.

    Args:
        text (str): The text.
        max_width (float): The width of a line in pixels.
        font_size (float): The font size in pixels.

    Returns:
        list[str]: The lines.
    """
    lines, line = [], ''
    for word in text.split():
        candidate = f'{line} {word}' if line else word
        if text_width(candidate, font_size) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        *full, line = _split_word(word, max_width, font_size)
        lines.extend(full)
    return lines + [line] if line else lines
