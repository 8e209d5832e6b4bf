# Copyright (c) mmvg contributors. All rights reserved.
"""Import detector output into mmvg proposals files
(:mod:`mmvg.datasets.proposals`); the library side of
``data_tools/import_proposals.py``."""
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..canonical import source_entries
from ..proposals import dump_proposals
from .refer import load_json


def _box_key(entry: dict) -> str:
    """The key of a detection's [x, y, w, h] box: MAttNet's ``box`` or
    COCO's ``bbox``."""
    for key in ('box', 'bbox'):
        if key in entry:
            return key
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
            box = det[_box_key(det)]
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
    obj = load_json(dets_file)
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
