# Copyright (c) mmvg contributors. All rights reserved.
"""Region proposals: the per-image box file two-stage grounders rank.

A proposals file is JSON, written by :func:`dump_proposals` (through
``data_tools/import_proposals.py``, whose library side is
:mod:`mmvg.datasets.importers.proposals`)::

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
from typing import Dict, Sequence, Tuple

import numpy as np


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
