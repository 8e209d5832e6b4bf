# Copyright (c) mmvg contributors. All rights reserved.
"""Import the derived formats people already hold: SimREC ``anns``,
SeqTR/SimVG ``instances.json``, ReSC/TransVG ``.pth`` split files and
MDETR COCO-style json."""
import os.path as osp
import re
from typing import Dict, List, Optional

import numpy as np
from mmengine.utils import ProgressBar
from pycocotools import mask as mask_utils

from .common import (DEFAULT_SPLIT_BY, ImageChecker, ImportSummary,
                     check_split_by, segmentation_to_rle, xywh_to_xyxy)

# Image file names per dataset family, from the image id.
COCO_PATTERN = 'COCO_train2014_{:012d}.jpg'
PLAIN_PATTERN = '{}.jpg'
# ReSC/TransVG store ReferIt and Flickr boxes as corners, the RefCOCO
# family as xywh: the classic silent bug this table prevents.
RESC_CORNER_DATASETS = ('referit', 'flickr')
# Names the derived formats use for mmvg's datasets.
DATASET_ALIASES = {'flickr': 'flickr30k', 'refclef': 'referit'}


def image_pattern(dataset: str) -> str:
    """The image file name pattern of a dataset."""
    return COCO_PATTERN if dataset.startswith(('refcoco', 'unc', 'gref')) \
        else PLAIN_PATTERN


class _Importer:
    """Shared state of one import: counters, image checks, sizes.

    ``split_by`` defaults to the dataset's usual scheme (RefCOCO: unc,
    RefCOCOg: umd, ...), so that the counts are checked against the
    published ones and the files are named like the refer importer's.
    """

    def __init__(self, dataset: str, split_by: Optional[str], image_dir: str,
                 image_root: Optional[str], skip_bad_images: bool,
                 unit: str) -> None:
        dataset = DATASET_ALIASES.get(dataset, dataset)
        if split_by is not None:
            check_split_by(dataset, split_by)
        split_by = split_by or DEFAULT_SPLIT_BY.get(dataset, 'custom')
        self.summary = ImportSummary(dataset, split_by)
        self.checker = ImageChecker(image_root, skip_bad_images, unit)
        self.image_dir = image_dir
        self.next_sent = 0

    def base(self,
             split: str,
             file_name: str,
             image_id: int,
             ref_id,
             record: str,
             num_expressions: int,
             size: Optional[tuple] = None) -> Optional[dict]:
        """The shared record keys, or None if the image is skipped (its
        ``num_expressions`` are counted and their sentence ids kept
        free)."""
        img_path = osp.join(self.image_dir, file_name)
        if not self.checker.ok(img_path, record, self.summary, split,
                               num_expressions, size):
            self.next_sent += num_expressions
            return None
        if size is None:
            size = self.checker.size(img_path)
        return dict(
            img_path=img_path,
            height=int(size[0]),
            width=int(size[1]),
            image_id=int(image_id),
            ref_id=ref_id)

    def sentences(self, texts: List[str]) -> List[tuple]:
        """Number sentences that have no id in the source."""
        out = [(self.next_sent + i, t) for i, t in enumerate(texts)]
        self.next_sent += len(texts)
        return out


def import_simrec(anns: Dict[str, List[dict]],
                  dataset: str,
                  image_dir: str,
                  masks_dir: Optional[str] = None,
                  splits: Optional[List[str]] = None,
                  image_root: Optional[str] = None,
                  skip_bad_images: bool = False,
                  split_by: Optional[str] = None,
                  anns_file: str = 'anns') -> tuple:
    """Convert SimREC ``anns/<dataset>.json`` (+ ``masks/<dataset>``).

    Entries are ``{iid, bbox (xywh), cat_id, refs: [sentences],
    mask_id}``; ``mask_id`` is the refer ref id and names
    ``<mask_id>.npy``. Train entries hold all sentences of a ref,
    evaluation entries one each; both give one record per sentence.
    ``anns_file`` names the source in error messages.
    """
    imp = _Importer(dataset, split_by, image_dir, image_root, skip_bad_images,
                    'entry')
    pattern = image_pattern(dataset)
    out = {}
    for split in splits or list(anns):
        if split not in anns:
            raise ValueError(f'Unknown split {split!r}; valid splits are '
                             f'{list(anns)}.')
        out[split] = []
        progress = ProgressBar(len(anns[split]))
        for ann in anns[split]:
            progress.update()
            base = imp.base(split, pattern.format(ann['iid']), ann['iid'],
                            ann['mask_id'], f'mask_id={ann["mask_id"]}',
                            len(ann['refs']))
            if base is None:
                continue
            mask = None
            if masks_dir is not None:
                path = osp.join(masks_dir, f'{ann["mask_id"]}.npy')
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{anns_file}: {split} entry mask_id '
                        f'{ann["mask_id"]} has no mask file {path}. Is '
                        'the masks folder of the same dataset?')
                binary = np.asfortranarray(np.load(path).astype(np.uint8))
                rle = mask_utils.encode(binary)
                mask = dict(
                    size=[int(v) for v in rle['size']],
                    counts=rle['counts'].decode('ascii'))
            base['category_id'] = ann.get('cat_id')
            out[split] += imp.summary.target_records(
                split, base, [xywh_to_xyxy(ann['bbox'])],
                imp.sentences(ann['refs']), mask)
        print()
    return out, imp.summary


def import_seqtr(anns: Dict[str, List[dict]],
                 dataset: str,
                 image_dir: str,
                 splits: Optional[List[str]] = None,
                 image_root: Optional[str] = None,
                 skip_bad_images: bool = False,
                 split_by: Optional[str] = None) -> tuple:
    """Convert SeqTR/SimVG ``instances.json`` (``{split: [ann]}``).

    An ann holds ``image_id``, ``bbox`` (xywh; for gRefCOCO one list of
    boxes per expression), ``expressions``, optional ``mask`` (polygons or
    RLE), ``height``/``width`` and ``category_id``.
    """
    imp = _Importer(dataset, split_by, image_dir, image_root, skip_bad_images,
                    'entry')
    pattern = image_pattern(dataset)
    out = {}
    for split in splits or list(anns):
        if split not in anns:
            raise ValueError(f'Unknown split {split!r}; valid splits are '
                             f'{list(anns)}.')
        out[split] = []
        progress = ProgressBar(len(anns[split]))
        for index, ann in enumerate(anns[split]):
            progress.update()
            size = (ann['height'], ann['width']) if 'height' in ann else None
            ref_id = ann.get('ref_id', index)
            base = imp.base(split, pattern.format(ann['image_id']),
                            ann['image_id'], ref_id, f'ref_id={ref_id}',
                            len(ann['expressions']), size)
            if base is None:
                continue
            base['category_id'] = ann.get('category_id')
            mask = segmentation_to_rle(ann['mask'], base['height'],
                                       base['width']) \
                if ann.get('mask') else None
            sentences = imp.sentences(ann['expressions'])
            per_expression = bool(ann['bbox']) and isinstance(
                ann['bbox'][0], list)
            if not per_expression:
                out[split] += imp.summary.target_records(
                    split, base, [xywh_to_xyxy(ann['bbox'])], sentences, mask)
                continue
            # gRefCOCO: a box list per expression; an all-zero box marks
            # no target. The ann's single mask does not fit several
            # expressions, so none is kept.
            for sentence, boxes in zip(sentences, ann['bbox']):
                boxes = [xywh_to_xyxy(b) for b in boxes if any(b)]
                out[split] += imp.summary.target_records(
                    split, base, boxes, [sentence])
        print()
    return out, imp.summary


def _resc_image_id(file_name: str) -> int:
    digits = re.findall(r'\d+', osp.splitext(osp.basename(file_name))[0])
    if not digits:
        raise ValueError(f'No image id in file name {file_name!r}')
    return int(digits[-1])  # COCO_train2014_<id>.jpg, <id>.jpg


def import_resc(entries: List[tuple],
                dataset: str,
                split: str,
                image_dir: str,
                image_root: Optional[str] = None,
                skip_bad_images: bool = False,
                split_by: Optional[str] = None) -> tuple:
    """Convert one ReSC/TransVG split file (a list of tuples).

    Flickr entries are ``(file, box, phrase)``; the others
    ``(file, mask/ann id, box, phrase, attributes)``. ReferIt and Flickr
    boxes are already corners, RefCOCO-family boxes xywh. Expressions of
    the same image and box share a ``ref_id``.
    """
    corners = dataset in RESC_CORNER_DATASETS
    imp = _Importer(dataset, split_by, image_dir, image_root, skip_bad_images,
                    'entry')
    refs: Dict[tuple, int] = {}
    records = []
    progress = ProgressBar(len(entries))
    for index, entry in enumerate(entries):
        progress.update()
        if dataset == 'flickr':
            file_name, box, phrase = entry[:3]
        else:
            file_name, _, box, phrase = entry[:4]
        box = [float(v) for v in box]
        box = box if corners else xywh_to_xyxy(box)
        ref_id = refs.setdefault((file_name, tuple(box)), len(refs))
        base = imp.base(split, file_name, _resc_image_id(file_name), ref_id,
                        f'entry {index}', 1)
        if base is None:
            continue
        records += imp.summary.target_records(split, base, [box],
                                              imp.sentences([phrase]))
    print()
    return {split: records}, imp.summary


def import_mdetr(coco: dict,
                 split: str,
                 image_dir: str,
                 image_root: Optional[str] = None,
                 skip_bad_images: bool = False,
                 dataset: Optional[str] = None,
                 split_by: Optional[str] = None,
                 json_file: str = 'the MDETR json') -> tuple:
    """Convert an MDETR COCO-style json (``final_<dataset>_<split>.json``).

    Each ``images`` entry is one (image, caption); its ``annotations``
    (xywh boxes, ``tokens_positive`` spans) are the targets. Captions
    whose boxes belong to several distinct spans (Flickr30k) keep them as
    ``phrases``. ``json_file`` names the source in error messages.
    """
    entry_ids = {entry['id'] for entry in coco['images']}
    by_image: Dict[int, List[dict]] = {}
    for ann in coco['annotations']:
        if ann['image_id'] not in entry_ids:
            # Its caption is unknown: importing the others would lose a
            # target silently.
            raise ValueError(
                f'{json_file}: annotation id {ann.get("id")} refers to '
                f'image_id {ann["image_id"]}, which its "images" list does '
                'not contain.')
        by_image.setdefault(ann['image_id'], []).append(ann)
    dataset = dataset or (coco['images'][0].get('dataset_name', 'mdetr')
                          if coco['images'] else 'mdetr')
    imp = _Importer(dataset, split_by, image_dir, image_root, skip_bad_images,
                    'caption')
    refs: Dict[tuple, int] = {}
    records = []
    progress = ProgressBar(len(coco['images']))
    for entry in coco['images']:
        progress.update()
        anns = by_image.get(entry['id'], [])
        boxes = [xywh_to_xyxy(a['bbox']) for a in anns]
        image_id = entry.get('original_img_id',
                             entry.get('original_id', entry['id']))
        ref_id = refs.setdefault((image_id, tuple(map(tuple, boxes))),
                                 len(refs))
        base = imp.base(split, entry['file_name'], image_id, ref_id,
                        f'image entry id={entry["id"]}', 1,
                        (entry['height'], entry['width']))
        if base is None:
            continue
        spans = _phrases(entry['caption'], anns, boxes)
        if len(spans) > 1:
            base['phrases'] = spans
        sent_id = entry.get('sentence_id', entry['id'])
        records += imp.summary.target_records(split, base, boxes,
                                              [(sent_id, entry['caption'])])
    print()
    return {split: records}, imp.summary


def _phrases(caption: str, anns: List[dict],
             boxes: List[List[float]]) -> List[dict]:
    spans: Dict[tuple, dict] = {}
    for ann, box in zip(anns, boxes):
        for start, end in ann.get('tokens_positive', []):
            span = spans.setdefault(
                (start, end),
                dict(start=start, end=end, text=caption[start:end], bboxes=[]))
            span['bboxes'].append(box)
    return sorted(spans.values(), key=lambda s: s['start'])
