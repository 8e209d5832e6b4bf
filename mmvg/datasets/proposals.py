# Copyright (c) mmvg contributors. All rights reserved.
"""Region proposals: the per-image box file two-stage grounders rank.

A proposals file is JSON, written by :func:`dump_proposals` (through
``data_tools/import_proposals.py``)::

    {"metainfo": {"proposals": "mattnet_res101", "box_format": "xyxy",
                  "num_images": N, "num_boxes": M, "sources": [...], ...},
     "images": {"<image_id>": {"bboxes": [[x1, y1, x2, y2], ...],
                               "scores": [...]}, ...}}

Boxes are xyxy in absolute pixels of the original image, without +1, as
in canonical annotation files; image ids are the annotation's
``image_id`` (JSON object keys are strings). ``num_images`` and
``num_boxes`` let a loader tell a cut or edited copy from a whole one.
The schema is documented in ``docs/en/dataset_format.md``.
"""
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .canonical import source_entries

# The keys under which the two detection-result formats give a box; both
# are [x, y, w, h].
_BOX_KEYS = {'mattnet': 'box', 'coco': 'bbox'}


class Proposals:
    """Every image's proposals in two flat arrays.

    The boxes of all images lie in one (M, 4) float32 array and their
    scores in one (M, ) array, with each image's slice in ``index``: a
    dataset holding millions of boxes keeps them in a few buffers that
    dataloader workers share, not in a Python object per image.

    Args:
        boxes (np.ndarray): (M, 4) xyxy.
        scores (np.ndarray): (M, ).
        index (dict[int, tuple[int, int]]): image id -> (start, end).
    """

    def __init__(self, boxes: np.ndarray, scores: np.ndarray,
                 index: Dict[int, Tuple[int, int]]) -> None:
        self.boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        self.scores = np.asarray(scores, np.float32).reshape(-1)
        self.index = index

    @classmethod
    def from_lists(cls, images: Dict[int,
                                     Tuple[np.ndarray, np.ndarray]]) -> \
            'Proposals':
        """Build from ``{image_id: (boxes (K, 4), scores (K, ))}``."""
        boxes, scores, index, start = [], [], {}, 0
        for image_id, (img_boxes, img_scores) in images.items():
            img_boxes = np.asarray(img_boxes, np.float32).reshape(-1, 4)
            boxes.append(img_boxes)
            scores.append(np.asarray(img_scores, np.float32).reshape(-1))
            index[int(image_id)] = (start, start + len(img_boxes))
            start += len(img_boxes)
        if not boxes:
            return cls(np.zeros((0, 4)), np.zeros(0), {})
        return cls(np.concatenate(boxes), np.concatenate(scores), index)

    def __contains__(self, image_id: int) -> bool:
        return int(image_id) in self.index

    def __len__(self) -> int:
        return len(self.index)

    def get(self, image_id: int) -> Tuple[np.ndarray, np.ndarray]:
        """The (K, 4) boxes and (K, ) scores of an image (K may be 0)."""
        start, end = self.index.get(int(image_id), (0, 0))
        return self.boxes[start:end], self.scores[start:end]


def dump_proposals(path: str, metainfo: dict,
                   images: Dict[int, Tuple[Sequence, Sequence]]) -> None:
    """Write a proposals file (see the module docstring).

    Args:
        path (str): The file; written aside and renamed, so it appears
            complete or not at all.
        metainfo (dict): Its metainfo; ``box_format``, ``num_images`` and
            ``num_boxes`` are set here.
        images (dict): ``{image_id: (boxes xyxy (K, 4), scores (K, ))}``.
    """
    body = {
        str(image_id):
        dict(
            bboxes=np.asarray(boxes, float).reshape(-1, 4).tolist(),
            scores=np.asarray(scores, float).reshape(-1).tolist())
        for image_id, (boxes, scores) in images.items()
    }
    info = dict(
        metainfo,
        box_format='xyxy',
        num_images=len(body),
        num_boxes=sum(len(v['bboxes']) for v in body.values()))
    out_dir = osp.dirname(path)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    tmp = path + '.tmp'
    try:
        with open(tmp, 'w') as f:
            json.dump(
                dict(metainfo=info, images=body), f, separators=(',', ':'))
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def _image_entry(path: str, key: str, entry) -> Tuple[np.ndarray, np.ndarray]:
    """Check and convert one image's entry of a proposals file."""
    try:
        boxes = np.asarray(entry['bboxes'], np.float32)
        scores = np.asarray(entry['scores'], np.float32)
        ok = (boxes.ndim == 2 and boxes.shape[1] == 4) or boxes.size == 0
        ok = ok and scores.shape == (len(boxes.reshape(-1, 4)), )
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f'Proposals file {path}: image {key} needs "bboxes" (K x 4) '
            'and "scores" (K) of the same length.')
    return boxes.reshape(-1, 4), scores


def load_proposals(path: str) -> Tuple[dict, Proposals]:
    """Read a proposals file and check it is whole.

    Returns:
        tuple[dict, Proposals]: The metainfo and the proposals.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not valid JSON, not a proposals file, or
            holds another number of images or boxes than its metainfo
            says; the message names the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Proposals file not found: {path} (write it with '
            'data_tools/import_proposals.py, see docs/en/prepare_data.md).')
    try:
        with open(path, 'rb') as f:
            obj = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'Corrupt or truncated proposals file {path}: {e}. '
                         'Write it again with '
                         'data_tools/import_proposals.py.') from e
    if not isinstance(obj, dict) or not isinstance(
            obj.get('metainfo'), dict) or not isinstance(
                obj.get('images'), dict):
        raise ValueError(
            f'{path} is not an mmvg proposals file: it needs the keys '
            '"metainfo" and "images" (see docs/en/dataset_format.md); '
            'import detector output with data_tools/import_proposals.py.')
    metainfo = obj['metainfo']
    images = {}
    for key, entry in obj['images'].items():
        try:
            image_id = int(key)
        except ValueError:
            raise ValueError(f'Proposals file {path}: image key {key!r} is '
                             'not an integer image id.') from None
        images[image_id] = _image_entry(path, key, entry)
    found = (len(images), sum(len(b) for b, _ in images.values()))
    expected = (metainfo.get('num_images'), metainfo.get('num_boxes'))
    if found != expected:
        raise ValueError(
            f'Proposals file {path} is truncated or altered: its metainfo '
            f'says {expected[0]} images and {expected[1]} boxes, '
            f'{found[0]} and {found[1]} found. Write it again with '
            'data_tools/import_proposals.py.')
    return metainfo, Proposals.from_lists(images)


def _detection_format(entry: dict) -> str:
    for fmt, key in _BOX_KEYS.items():
        if key in entry:
            return fmt
    raise ValueError(
        'A detection needs "box" (MAttNet) or "bbox" (COCO results) as '
        f'[x, y, w, h]; got the keys {sorted(entry)}.')


def read_detections(source: str, detections: Iterable[dict],
                    default_score: Optional[float] = None) -> \
        Tuple[Dict[int, Tuple[List, List]], Dict[str, int]]:
    """Gather detector output per image, as xyxy.

    Reads MAttNet's ``*_dets.json`` entries (``{image_id, box: [x, y, w,
    h], score, ...}``) and COCO detection results or annotations
    (``{image_id, bbox: [x, y, w, h], score}``), telling them apart by the
    box key. Every detection is kept (no score filter, as VL-BERT uses
    MAttNet's), except those of zero width or height, which are dropped
    and counted.

    Args:
        source (str): The file the detections came from, for errors.
        detections (Iterable[dict]): The entries.
        default_score (float, optional): Score of entries without one
            (ground-truth annotations); None makes a missing score an
            error.

    Returns:
        tuple: ``{image_id: ([xyxy, ...], [score, ...])}`` in the order
        read, and the counts ``detections``, ``dropped_zero_area``.
    """
    images: Dict[int, Tuple[List, List]] = {}
    counts = dict(detections=0, dropped_zero_area=0)
    for idx, det in enumerate(detections):
        counts['detections'] += 1
        try:
            box = det[_BOX_KEYS[_detection_format(det)]]
            x, y, w, h = (float(v) for v in box)
            image_id = int(det['image_id'])
            score = det.get('score', default_score)
            if score is None:
                raise KeyError('score')
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'{source}: detection {idx} is not '
                             f'{{image_id, box or bbox, score}} ({e}): '
                             f'{det!r}') from None
        if not (w > 0 and h > 0):
            counts['dropped_zero_area'] += 1
            continue
        boxes, scores = images.setdefault(image_id, ([], []))
        boxes.append([x, y, x + w, y + h])
        scores.append(float(score))
    return images, counts


def import_proposals(dets_file: str,
                     name: str,
                     out: str,
                     ground_truth: bool = False,
                     importer_version: str = '1.0') -> Dict[str, int]:
    """Import detector output (or, with ``ground_truth``, the boxes of a
    COCO annotation file, score 1) into a proposals file; the library
    side of ``data_tools/import_proposals.py``.

    Returns:
        dict: The counts ``detections``, ``dropped_zero_area``, ``images``
        and ``boxes``.
    """
    if not osp.isfile(dets_file):
        raise FileNotFoundError(f'Detections file not found: {dets_file}')
    with open(dets_file) as f:
        try:
            obj = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(
                f'Corrupt or truncated detections file {dets_file}: {e}') \
                from e
    if ground_truth:
        if not isinstance(obj, dict) or 'annotations' not in obj:
            raise ValueError(f'{dets_file} is not a COCO annotation file '
                             '(no "annotations"); drop --ground-truth for '
                             'detection results.')
        entries, default_score = obj['annotations'], 1.0
    else:
        if not isinstance(obj, list):
            raise ValueError(
                f'{dets_file} is not a list of detections; for a COCO '
                'annotation file (ground-truth boxes) pass --ground-truth.')
        entries, default_score = obj, None
    images, counts = read_detections(dets_file, entries, default_score)
    dump_proposals(out, proposals_metainfo(name, [dets_file],
                                           importer_version), images)
    counts.update(
        images=len(images), boxes=sum(len(b) for b, _ in images.values()))
    return counts


def proposals_metainfo(name: str, sources: Sequence[str],
                       importer_version: str, **extra) -> dict:
    """The metainfo of a proposals file: its name and its sources with
    their sha256, as canonical files record theirs."""
    return dict(
        proposals=name,
        importer='import_proposals',
        importer_version=importer_version,
        sources=source_entries(sources),
        **extra)
