# Copyright (c) mmvg contributors. All rights reserved.
"""Helpers shared by the importers in ``data_tools/``.

Rules applied by every importer (documented in
``docs/en/dataset_format.md``):

- Boxes are stored as xyxy in absolute pixels, without the legacy +1.
- A box is clipped to the image; a box whose width or height is <= 0
  after clipping is dropped, and so is a record left without any box
  (a record is never silently turned into a no-target one). Both are
  counted in the summary.
- An empty expression drops its record, counted.
- A missing, unreadable (truncated, corrupt) image, or one whose size is
  not the annotation's, raises an error naming the file and the record,
  unless ``skip_bad_images`` is set, which skips and counts.
- Every drop and skip counter counts expressions (records), the unit of
  the published counts.
- An id that one source file looks up in another (a ref's ``ann_id`` in
  ``instances.json``) and does not find raises an error naming both
  files and the id.
"""
import os.path as osp
import warnings
from collections import OrderedDict, defaultdict
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
from PIL import Image, ImageFile
from pycocotools import mask as mask_utils

from ..canonical import dump_canonical, make_metainfo

# Published numbers of expressions per split (DESIGN.md section 4).
PUBLISHED_COUNTS: Dict[tuple, Dict[str, int]] = {
    ('refcoco', 'unc'): dict(train=120624, val=10834, testA=5657, testB=5095),
    ('refcoco+', 'unc'): dict(train=120191, val=10758, testA=5726, testB=4889),
    ('refcocog', 'umd'): dict(train=80512, val=4896, test=9602),
    ('refcocog', 'google'): dict(val=9536),
    ('referit', 'berkeley'): dict(train=54127, val=5842, test=60103),
}
VALID_SPLITS: Dict[tuple, Sequence[str]] = {
    ('refcoco', 'unc'): ('train', 'val', 'testA', 'testB'),
    ('refcoco', 'google'): ('train', 'val', 'test'),
    ('refcoco+', 'unc'): ('train', 'val', 'testA', 'testB'),
    ('refcocog', 'umd'): ('train', 'val', 'test'),
    ('refcocog', 'google'): ('train', 'val'),
    ('referit', 'berkeley'): ('train', 'val', 'test'),
    ('referit', 'unc'): ('train', 'val', 'testA', 'testB', 'testC'),
    ('grefcoco', 'unc'): ('train', 'val', 'testA', 'testB'),
    ('flickr30k', 'entities'): ('train', 'val', 'test'),
    ('synthetic', 'unc'): ('train', 'val', 'testA', 'testB'),
}
# The split scheme of derived formats that do not name theirs.
DEFAULT_SPLIT_BY = {
    'refcoco': 'unc',
    'refcoco+': 'unc',
    'refcocog': 'umd',
    'referit': 'berkeley',
    'grefcoco': 'unc',
    'flickr30k': 'entities',
}
# What the summary counters count, printed under the table. Drop and
# skip counters count expressions (records), like the published counts.
COUNTER_NOTES = {
    'skipped_bad_image': 'expressions skipped: image missing, unreadable '
    'or not of the annotated size (--skip-bad-images)',
    'dropped_bad_box': 'expressions dropped: no box left after clipping',
    'dropped_empty_text': 'expressions dropped: empty text',
    'dropped_sentence_without_box': 'expressions dropped: no phrase of '
    'the sentence has a box',
    'dropped_boxes': 'boxes (not expressions) dropped: empty after clipping',
    'clipped_boxes': 'boxes (not expressions) clipped to the image',
    'phrases_without_box': 'phrases without a box (scene, notvisual), '
    'not imported',
    'no_target': 'expressions without a target',
    'multi_target': 'expressions with several targets',
}
# The problem of an image file that does not exist (FileNotFoundError;
# the others are OSError).
_MISSING = 'is missing'


def known_split_by(dataset: str) -> List[str]:
    """The split schemes mmvg knows for ``dataset`` (empty if none)."""
    return [scheme for name, scheme in VALID_SPLITS if name == dataset]


def check_split_by(dataset: str, split_by: str) -> None:
    """Raise listing the known split schemes if ``split_by`` is not one.

    A dataset mmvg has no table for (a custom name) accepts any scheme.
    """
    known = known_split_by(dataset)
    if known and split_by not in known:
        raise ValueError(f'Unknown --split-by {split_by!r} for {dataset}; '
                         f'the known split schemes are {known}.')


def _count(n: int, noun: str) -> str:
    """``'1 ref'``, ``'2 refs'``, ``'2 entries'``."""
    if n == 1:
        return f'{n} {noun}'
    return f'{n} {noun[:-1]}ies' if noun.endswith('y') else f'{n} {noun}s'


def check_splits(requested: Optional[Iterable[str]],
                 valid: Sequence[str]) -> List[str]:
    """Return the requested splits, or raise listing the valid ones."""
    if requested is None:
        return list(valid)
    requested = list(requested)
    unknown = [s for s in requested if s not in valid]
    if unknown:
        raise ValueError(f'Unknown split(s) {unknown}; valid splits are '
                         f'{list(valid)}.')
    return requested


def xywh_to_xyxy(box: Sequence[float]) -> List[float]:
    """Convert ``[x, y, w, h]`` to ``[x1, y1, x2, y2]``."""
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y + h]


class ImportSummary:
    """Count records and problems per split; print them against the
    published counts.

    Args:
        dataset (str): Dataset name (key of ``PUBLISHED_COUNTS``).
        split_by (str): Split scheme.
    """

    def __init__(self, dataset: str, split_by: str) -> None:
        self.dataset = dataset
        self.split_by = split_by
        self.counts: Dict[str,
                          Dict[str,
                               int]] = defaultdict(lambda: defaultdict(int))
        self.images: Dict[str, set] = defaultdict(set)
        # Per split: source entries skipped for a bad image, by unit
        # ('ref', 'image', ...), and the bad images with their problem.
        self.skipped_entries: Dict[str, Dict[str, int]] = defaultdict(
            lambda: defaultdict(int))
        self.bad_images: Dict[str, Dict[str, str]] = defaultdict(dict)

    def add(self, split: str, key: str, n: int = 1) -> None:
        """Add ``n`` to counter ``key`` of ``split``."""
        self.counts[split][key] += n

    def skip_bad_image(self, split: str, img_path: str, problem: str,
                       num_expressions: int, unit: str) -> None:
        """Count one source entry (a ref, an image, ...) skipped because
        its image is bad.

        Args:
            split (str): The split.
            img_path (str): The bad image.
            problem (str): What is wrong with it.
            num_expressions (int): The entry's expressions, which the
                ``skipped_bad_image`` counter counts.
            unit (str): What an entry is (``'ref'``, ``'image'``).
        """
        self.add(split, 'skipped_bad_image', num_expressions)
        self.skipped_entries[split][unit] += 1
        self.bad_images[split].setdefault(img_path, problem)

    def fix_box(self, split: str, box: Sequence[float], width: int,
                height: int) -> Optional[List[float]]:
        """Clip an xyxy box to the image; None (counted) if it is empty."""
        x1, y1, x2, y2 = (float(v) for v in box)
        if not (x2 > x1 and y2 > y1):
            self.add(split, 'dropped_boxes')
            return None
        clipped = [
            min(max(x1, 0.), width),
            min(max(y1, 0.), height),
            min(max(x2, 0.), width),
            min(max(y2, 0.), height)
        ]
        if not (clipped[2] > clipped[0] and clipped[3] > clipped[1]):
            self.add(split, 'dropped_boxes')
            return None
        if clipped != [x1, y1, x2, y2]:
            self.add(split, 'clipped_boxes')
        return clipped

    def target_records(self,
                       split: str,
                       base: dict,
                       boxes: Sequence[Sequence[float]],
                       sentences: Sequence[tuple],
                       mask: Optional[dict] = None) -> List[dict]:
        """Build the records of one target (an object, a set of objects
        or none) and its sentences, applying the rules of this module.

        Args:
            split (str): The split, for the counters.
            base (dict): The record keys shared by the sentences
                (``img_path``, ``height``, ``width``, ``image_id``,
                ``ref_id`` and optional extras).
            boxes (list): xyxy boxes before clipping; empty for no target.
            sentences (list[tuple]): ``(sent_id, text)`` pairs.
            mask (dict, optional): RLE of the union of the targets.

        Returns:
            list[dict]: The records; counted in ``expressions``.
        """
        width, height = int(base['width']), int(base['height'])
        kept = [self.fix_box(split, b, width, height) for b in boxes]
        kept = [b for b in kept if b is not None]
        if boxes and not kept:
            self.add(split, 'dropped_bad_box', len(sentences))
            return []
        records = []
        for sent_id, text in sentences:
            text = (text or '').strip()
            if not text:
                self.add(split, 'dropped_empty_text')
                continue
            records.append(
                dict(
                    base,
                    sent_id=sent_id,
                    text=text,
                    bboxes=kept,
                    mask=mask,
                    no_target=not boxes))
        self.add(split, 'expressions', len(records))
        if records:
            self.images[split].add(base['image_id'])
        return records

    def lines(self) -> List[str]:
        """Return the summary table as text lines; warn on mismatches."""
        published = PUBLISHED_COUNTS.get((self.dataset, self.split_by), {})
        extra_keys = sorted(
            {k
             for c in self.counts.values()
             for k in c if k != 'expressions'})
        header = ['split', 'expressions', 'published', 'images'] + extra_keys
        rows = [header]
        order = list(VALID_SPLITS.get((self.dataset, self.split_by), ()))
        order += [s for s in self.counts if s not in order]
        for split in [s for s in order if s in self.counts]:
            c = self.counts[split]
            pub = published.get(split)
            rows.append([
                split,
                str(c['expressions']), '-' if pub is None else str(pub),
                str(len(self.images[split]))
            ] + [str(c.get(k, 0)) for k in extra_keys])
            if pub is not None and pub != c['expressions']:
                warnings.warn(
                    f'{self.dataset} ({self.split_by}) {split}: '
                    f'{c["expressions"]} expressions imported, the published '
                    f'count is {pub}. Check the source files.')
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        table = [
            '  '.join(v.rjust(w) for v, w in zip(r, widths)) for r in rows
        ]
        notes = [
            f'{k}: {COUNTER_NOTES[k]}' for k in extra_keys
            if k in COUNTER_NOTES
        ]
        return table + notes + self._skip_lines(order)

    def _skip_lines(self, order: List[str]) -> List[str]:
        """One line per split with skipped images, in expressions."""
        lines = []
        for split in [s for s in order if s in self.bad_images]:
            entries = ', '.join(
                _count(n, unit)
                for unit, n in self.skipped_entries[split].items())
            bad = self.bad_images[split]
            path, problem = next(iter(bad.items()))
            skipped = self.counts[split]['skipped_bad_image']
            lines.append(
                f'{split}: skipped {_count(skipped, "expression")} '
                f'({entries}) whose image is missing or unreadable: '
                f'{_count(len(bad), "image file")}, e.g. {path} {problem}')
        return lines

    def print(self) -> None:
        """Print the summary table."""
        print(f'\n{self.dataset} ({self.split_by}) import summary:')
        print('\n'.join(self.lines()))


class ImageChecker:
    """Check that images exist and decode completely, once per file.

    Every image is decoded in full: its header, its magic bytes and even
    PIL's ``verify()`` pass a JPEG cut mid-scan, which would then stop
    training on that sample. The verdict and the decoded size are cached
    per path, since many records share an image; decoding costs about
    3 ms per 640x480 JPEG (``docs/en/prepare_data.md``).

    Args:
        root (str): Directory the record ``img_path`` values are relative
            to; None disables the check.
        skip_bad_images (bool): Skip (and count) records of bad images
            instead of raising.
        unit (str): What one :meth:`ok` call checks the image of
            (``'ref'``, ``'image'``), for the summary.
    """

    def __init__(self,
                 root: Optional[str],
                 skip_bad_images: bool = False,
                 unit: str = 'ref') -> None:
        self.root = root
        self.skip_bad_images = skip_bad_images
        self.unit = unit
        # img_path -> (problem or None, (height, width) or None)
        self._cache: Dict[str, tuple] = {}

    @staticmethod
    def _decode(path: str) -> tuple:
        """Return ``(problem, (height, width))``; problem None if the
        image is whole."""
        if not osp.isfile(path):
            return _MISSING, None
        # A caller may have told PIL to pad truncated images silently.
        load_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with Image.open(path) as img:
                img.verify()  # structure and checksums (PNG CRCs)
            with Image.open(path) as img:
                img.load()  # the pixels: catches a truncated JPEG
                width, height = img.size
        except Image.UnidentifiedImageError:
            return 'is not a readable image', None
        except Exception as e:  # PIL raises OSError, SyntaxError, ...
            return f'is truncated or corrupt ({e})', None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = load_truncated
        return None, (height, width)

    def _inspect(self, img_path: str) -> tuple:
        if img_path not in self._cache:
            self._cache[img_path] = self._decode(osp.join(self.root, img_path))
        return self._cache[img_path]

    def size(self, img_path: str) -> tuple:
        """The decoded ``(height, width)`` of an image :meth:`ok` passed,
        for formats that store no size."""
        if self.root is None:
            raise ValueError('This format stores no image sizes: the images '
                             'are needed (drop --no-image-check).')
        return self._inspect(img_path)[1]

    def ok(self,
           img_path: str,
           record: str,
           summary: ImportSummary,
           split: str,
           num_expressions: int = 1,
           size: Optional[Sequence[int]] = None) -> bool:
        """Return whether the image is usable.

        Args:
            img_path (str): Path relative to ``root``.
            record (str): Description of the record, for the message.
            summary (ImportSummary): Where skipped records are counted.
            split (str): The record's split.
            num_expressions (int): Expressions skipped with the image,
                counted in the summary. Defaults to 1.
            size (tuple, optional): ``(height, width)`` the annotation
                gives; the image must have it.

        Returns:
            bool: False when the record must be skipped.
        """
        if self.root is None:
            return True
        problem, found = self._inspect(img_path)
        if problem is None and size is not None:
            height, width = int(size[0]), int(size[1])
            if found != (height, width):
                problem = (f'is {found[1]}x{found[0]} (width x height) but '
                           f'the annotation says {width}x{height}: not the '
                           'annotated image (resized, or another file)')
        if problem is None:
            return True
        if not self.skip_bad_images:
            error = FileNotFoundError if problem == _MISSING else OSError
            raise error(
                f'Image {osp.join(self.root, img_path)} {problem} '
                f'({record}). Pass --skip-bad-images to skip such records.')
        summary.skip_bad_image(split, img_path, problem, num_expressions,
                               self.unit)
        return False


def segmentation_to_rle(segmentation, height: int, width: int) -> dict:
    """Encode a COCO segmentation as one RLE: the union of its parts.

    Args:
        segmentation (list | dict): Polygons ``[[x, y, ...], ...]``, an
            uncompressed RLE (``counts`` a list) or a compressed RLE.
        height (int): Image height.
        width (int): Image width.

    Returns:
        dict: ``{'size': [h, w], 'counts': str}``.
    """
    if isinstance(segmentation, list):
        # Several polygons of one object are merged as a union; summing
        # them (as some codebases do) turns overlaps into background.
        rles = mask_utils.frPyObjects(segmentation, height, width)
        rle = mask_utils.merge(rles) if len(rles) > 1 else rles[0]
    elif isinstance(segmentation.get('counts'), list):
        rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
        rle = dict(segmentation)
    counts = rle['counts']
    if isinstance(counts, bytes):
        counts = counts.decode('ascii')
    return dict(size=[int(height), int(width)], counts=counts)


def empty_rle(height: int, width: int) -> dict:
    """The RLE of an all-background (H, W) mask."""
    rle = mask_utils.encode(np.zeros((height, width), np.uint8, order='F'))
    return dict(size=[height, width], counts=rle['counts'].decode('ascii'))


def union_rle(rles: List[dict]) -> Optional[dict]:
    """Merge several RLE masks into one (union); None for none."""
    if not rles:
        return None
    if len(rles) == 1:
        return rles[0]
    merged = mask_utils.merge([
        dict(size=r['size'], counts=r['counts'].encode('ascii')) for r in rles
    ])
    return dict(size=merged['size'], counts=merged['counts'].decode('ascii'))


def write_splits(out_dir: str,
                 prefix: str,
                 records: Dict[str, List[dict]],
                 metainfo_fn,
                 fmt: str = 'json') -> List[str]:
    """Write one canonical file per split: ``{prefix}_{split}.{fmt}``.

    Args:
        out_dir (str): Output directory.
        prefix (str): File name prefix, e.g. ``'refcoco_unc'``.
        records (dict[str, list]): Records per split.
        metainfo_fn (callable): ``split -> metainfo``.
        fmt (str): ``'json'`` or ``'jsonl'``.

    Returns:
        list[str]: The written paths.
    """
    paths = []
    for split, recs in records.items():
        path = osp.join(out_dir, f'{prefix}_{split}.{fmt}')
        dump_canonical(path, metainfo_fn(split), recs)
        paths.append(path)
    return paths


def finish_import(out: Dict[str, List[dict]],
                  summary: ImportSummary,
                  out_dir: str,
                  sources: List[str],
                  importer: str,
                  version: str,
                  fmt: str = 'json') -> dict:
    """Write ``<dataset>_<split_by>_<split>.<fmt>`` files and print the
    summary.

    Returns:
        dict: ``paths`` written and the ``summary``.
    """

    def metainfo(split):
        return make_metainfo(summary.dataset, summary.split_by, split, sources,
                             importer, version)

    paths = write_splits(out_dir, f'{summary.dataset}_{summary.split_by}', out,
                         metainfo, fmt)
    summary.print()
    return dict(paths=paths, summary=summary)


def ordered_splits(splits: Sequence[str]) -> 'OrderedDict[str, list]':
    """Return an ordered dict with an empty record list per split."""
    return OrderedDict((s, []) for s in splits)


def add_split_by_arg(parser) -> None:
    """Add ``--split-by`` for the derived formats, which do not record it.

    Args:
        parser (argparse.ArgumentParser): The parser.
    """
    parser.add_argument(
        '--split-by',
        help='split scheme, for the published-count check and file names '
        '(default: unc for RefCOCO/+, umd for RefCOCOg, berkeley for '
        'ReferIt). Known: unc or google (RefCOCO), unc (RefCOCO+), umd or '
        'google (RefCOCOg), berkeley or unc (ReferIt); other names fail')


def add_common_args(parser, image_dir: str) -> None:
    """Add the options every importer CLI shares.

    Args:
        parser (argparse.ArgumentParser): The parser.
        image_dir (str): Default image directory, relative to the root.
    """
    parser.add_argument(
        '--data-root',
        default='data',
        help='root that record image paths are relative to')
    parser.add_argument(
        '--image-dir',
        default=image_dir,
        help='image directory relative to --data-root')
    parser.add_argument(
        '--out-dir', required=True, help='where to write canonical files')
    parser.add_argument(
        '--splits', nargs='+', help='splits to import (default: all)')
    parser.add_argument(
        '--skip-bad-images',
        action='store_true',
        help='skip (and count) records whose image is missing or '
        'unreadable instead of stopping with an error')
    parser.add_argument(
        '--no-image-check',
        action='store_true',
        help='do not look at the images (when they are not downloaded yet)')
    parser.add_argument(
        '--format',
        default='json',
        choices=['json', 'jsonl'],
        help='canonical file format (jsonl for very large sets)')
