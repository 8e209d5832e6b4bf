# Copyright (c) mmvg contributors. All rights reserved.
"""Value checks of canonical records, applied whenever a file is read.

The importers only write records that pass them; these checks give files
written by other tools the same guarantees. A record fails when:

- a key of :data:`REQUIRED_KEYS` is missing;
- its ``text`` is empty after stripping;
- its ``height`` or ``width`` is not a positive number;
- a box (of ``bboxes`` or of a phrase) is not four numbers, has no
  positive width and height, or reaches more than :data:`BOX_TOLERANCE`
  pixels outside the image;
- ``no_target`` disagrees with ``bboxes`` (true exactly when there is no
  box);
- its ``mask`` is not an RLE whose ``size`` is ``[height, width]``. The
  RLE is not decoded: decoding every mask would cost more than reading
  the file (a corrupt ``counts`` fails when the mask is loaded).

By the importers' rule, the first bad record raises a ValueError naming
the file, the record and its ``sent_id``, unless dropping is asked for:
then every bad record is dropped and one warning gives their count.
"""
import warnings
from typing import Optional

# Keys every record must carry; the optional ones are ``mask``,
# ``category_id``, ``phrases``, ``ann_ids`` and ``source``.
REQUIRED_KEYS = ('img_path', 'height', 'width', 'image_id', 'ref_id',
                 'sent_id', 'text', 'bboxes', 'no_target')
_REQUIRED = frozenset(REQUIRED_KEYS)
# JSON decodes numbers to these; ``numbers.Real`` would be slower to test.
_NUMBER = (int, float)
# How far (pixels) a box may reach past the image border. The importers
# clip to the image, but other tools round, or keep the legacy +1
# convention (x2 = x1 + w - 1 + 1), and such boxes are fine to train on.
BOX_TOLERANCE = 1.0


def _box_problem(box, width: float, height: float) -> Optional[str]:
    try:
        x1, y1, x2, y2 = box
        if not (x2 - x1 > 0 and y2 - y1 > 0):
            return f'has a box of no width or height {box}'
        if (x1 < -BOX_TOLERANCE or y1 < -BOX_TOLERANCE
                or x2 > width + BOX_TOLERANCE or y2 > height + BOX_TOLERANCE):
            return (f'has a box {box} outside its {width}x{height} image '
                    f'(tolerance {BOX_TOLERANCE:g} px)')
    except (TypeError, ValueError):
        return f'has a box that is not four numbers: {box!r}'
    return None


def record_problem(record) -> Optional[str]:
    """What is wrong with a record, or None if it passes every check.

    Args:
        record: A decoded record.

    Returns:
        str, optional: The problem, phrased to follow the record's name
        (``'has an empty text'``).
    """
    if not isinstance(record, dict):
        return 'is not an object'
    if not record.keys() >= _REQUIRED:
        missing = [k for k in REQUIRED_KEYS if k not in record]
        return f'lacks the keys {missing}'
    text = record['text']
    if not isinstance(text, str) or not text.strip():
        return f'has an empty text {text!r}'
    height, width = record['height'], record['width']
    if not (isinstance(height, _NUMBER) and isinstance(width, _NUMBER)
            and height > 0 and width > 0):
        return f'has an image size {width!r}x{height!r}'
    boxes = record['bboxes']
    if not isinstance(boxes, list):
        return f'has bboxes that are not a list: {boxes!r}'
    for box in boxes:
        problem = _box_problem(box, width, height)
        if problem:
            return problem
    if bool(record['no_target']) != (not boxes):
        return (f'has no_target={record["no_target"]!r} with {len(boxes)} '
                'boxes')
    for phrase in record.get('phrases') or ():
        if not isinstance(phrase, dict):
            return f'has a phrase that is not an object: {phrase!r}'
        for box in phrase.get('bboxes', ()):
            problem = _box_problem(box, width, height)
            if problem:
                return f'{problem} in phrase {phrase.get("text")!r}'
    mask = record.get('mask')
    if mask is not None and not _is_rle_of_size(mask, height, width):
        size = mask.get('size') if isinstance(mask, dict) else None
        return (f'has a mask that is not an RLE of its {height}x{width} '
                f'image (size {size!r})')
    return None


def _is_rle_of_size(mask, height: float, width: float) -> bool:
    return (isinstance(mask, dict)
            and isinstance(mask.get('counts'), (str, list))
            and mask.get('size') == [height, width])


def _describe(record, unit: str, number: int) -> Optional[str]:
    """``'<unit> <number> (sent_id=<id>) <problem>'``, or None if the
    record passes (the name is formatted only for a failing record)."""
    problem = record_problem(record)
    if problem is None:
        return None
    sent_id = record.get('sent_id') if isinstance(record, dict) else None
    return f'{unit} {number} (sent_id={sent_id}) {problem}'


def _invalid(path: str, message: str) -> ValueError:
    return ValueError(f'Annotation file {path}: {message}. Fix the file, '
                      'or drop such records with the dataset option '
                      'drop_invalid_records=True.')


def check_record(record, path: str, unit: str, number: int) -> None:
    """Raise a ValueError if ``record`` fails a value check.

    Args:
        record: A decoded record.
        path (str): Its file, for the message.
        unit (str): How the file counts records: ``'record'`` (an index
            into ``data_list``) or ``'line'``.
        number (int): The record's index or line number.
    """
    message = _describe(record, unit, number)
    if message:
        raise _invalid(path, message)


class InvalidRecords:
    """Applies the value checks to the records of one file.

    Args:
        path (str): The file.
        drop (bool): Drop and count bad records instead of raising on the
            first one.
    """

    def __init__(self, path: str, drop: bool) -> None:
        self.path = path
        self.drop = drop
        self.dropped = 0
        self.first = ''

    def keep(self, record, unit: str, number: int) -> bool:
        """Whether ``record`` passes; a failing one raises unless ``drop``
        is set. ``unit`` and ``number`` are as in :func:`check_record`."""
        message = _describe(record, unit, number)
        if message is None:
            return True
        if not self.drop:
            raise _invalid(self.path, message)
        self.dropped += 1
        self.first = self.first or message
        return False

    def warn_dropped(self, total: int) -> None:
        """Warn once with the number of dropped records, if any."""
        if self.dropped:
            warnings.warn(
                f'Annotation file {self.path}: dropped {self.dropped} of '
                f'{total} records that fail the value checks (the first: '
                f'{self.first}).')
