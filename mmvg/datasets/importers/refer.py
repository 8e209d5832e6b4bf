# Copyright (c) mmvg contributors. All rights reserved.
"""Import the refer releases (RefCOCO, RefCOCO+, RefCOCOg, RefCLEF)."""
import json
import os.path as osp
import pickle
from typing import Dict, List, Optional

from mmengine.utils import ProgressBar

from .common import (VALID_SPLITS, ImageChecker, ImportSummary, check_split_by,
                     check_splits, empty_rle, finish_import, ordered_splits,
                     segmentation_to_rle, union_rle, xywh_to_xyxy)

IMPORTER_VERSION = '1.0'
# refclef is released under that name; mmvg calls it referit.
DATASET_ALIASES = {'refclef': 'referit'}


def load_refer_pickle(path: str) -> List[dict]:
    """Load ``refs(<splitBy>).p``.

    Pickles can run code when loaded: only the file the user named on the
    command line is read, never one found by searching.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'refs file not found: {path}')
    with open(path, 'rb') as f:
        try:
            return pickle.load(f)
        except Exception as e:  # a truncated pickle raises many types
            raise ValueError(f'Cannot read the refs file {path}: {e!r}') from e


def load_json(path: str):
    """Load a JSON source file with an error naming it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'File not found: {path}')
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'Corrupt or truncated JSON file {path}: {e}') from e


def ref_records(ref: dict, ann_list: List[dict], image: dict, img_path: str,
                split: str, summary: ImportSummary,
                text_field: str) -> List[dict]:
    """Turn one ref into canonical records, one per sentence.

    Args:
        ref (dict): The ref (``ann_id`` an int or a list, ``-1`` = none).
        ann_list (list[dict]): Its COCO annotations (empty: no target).
        image (dict): The COCO image entry.
        img_path (str): Image path relative to the data root.
        split (str): The split.
        summary (ImportSummary): Counters.
        text_field (str): ``'sent'`` or ``'raw'``.

    Returns:
        list[dict]: The records (empty if the ref is dropped).
    """
    height, width = int(image['height']), int(image['width'])
    if not ann_list:
        # No target: the union of zero masks is the empty mask.
        mask = empty_rle(height, width)
    elif all(ann.get('segmentation') for ann in ann_list):
        mask = union_rle([
            segmentation_to_rle(ann['segmentation'], height, width)
            for ann in ann_list
        ])
    else:
        mask = None
    base = dict(
        img_path=img_path,
        height=height,
        width=width,
        image_id=ref['image_id'],
        ref_id=ref['ref_id'],
        category_id=ref.get('category_id'),
        ann_ids=[ann['id'] for ann in ann_list])
    sentences = [(s['sent_id'], s.get(text_field) or s.get('raw'))
                 for s in ref['sentences']]
    return summary.target_records(split, base,
                                  [xywh_to_xyxy(a['bbox']) for a in ann_list],
                                  sentences, mask)


class RefLookup:
    """Find a ref's image and annotations in ``instances.json``, failing
    with an error naming both files, the ref and the missing id.

    Args:
        instances (dict): COCO-style ``instances.json``.
        refs_file (str): The refs file, for messages.
        instances_file (str): The instances file, for messages.
    """

    def __init__(self, instances: dict, refs_file: str,
                 instances_file: str) -> None:
        self.images = {img['id']: img for img in instances['images']}
        self.anns = {ann['id']: ann for ann in instances['annotations']}
        self.refs_file = refs_file
        self.instances_file = instances_file

    def _missing(self, ref: dict, key: str, value) -> ValueError:
        return ValueError(f'{self.refs_file}: ref_id {ref["ref_id"]} refers '
                          f'to {key} {value}, which {self.instances_file} '
                          'does not contain. Are both files of the same '
                          'release?')

    def image(self, ref: dict) -> dict:
        """The ref's image entry."""
        image = self.images.get(ref['image_id'])
        if image is None:
            raise self._missing(ref, 'image_id', ref['image_id'])
        return image

    def anns_of(self, ref: dict) -> List[dict]:
        """The ref's annotations (``ann_id`` an int or a list; ``-1``
        means no target), each on the ref's image."""
        ids = ref['ann_id'] if isinstance(ref['ann_id'], list) \
            else [ref['ann_id']]
        anns = []
        for ann_id in ids:
            if ann_id == -1:
                continue
            ann = self.anns.get(ann_id)
            if ann is None:
                raise self._missing(ref, 'ann_id', ann_id)
            if ann['image_id'] != ref['image_id']:
                raise ValueError(
                    f'{self.refs_file}: ref_id {ref["ref_id"]} is on '
                    f'image_id {ref["image_id"]}, but its ann_id {ann_id} '
                    f'is on image_id {ann["image_id"]} in '
                    f'{self.instances_file}. Are both files of the same '
                    'release?')
            anns.append(ann)
        return anns


def import_refs(refs: List[dict],
                instances: dict,
                dataset: str,
                split_by: str,
                image_dir: str,
                splits: Optional[List[str]] = None,
                image_root: Optional[str] = None,
                skip_bad_images: bool = False,
                text_field: str = 'sent',
                refs_file: str = 'refs',
                instances_file: str = 'instances.json') -> tuple:
    """Convert refs + COCO instances into canonical records per split.

    Args:
        refs (list[dict]): The refs (refer pickle or gRefCOCO json).
        instances (dict): COCO-style ``instances.json``.
        dataset (str): Dataset name.
        split_by (str): Split scheme.
        image_dir (str): Image directory relative to the data root; record
            paths are ``image_dir/file_name``.
        splits (list[str], optional): Splits to import; all by default.
        image_root (str, optional): The data root, to check images; None
            skips the check.
        skip_bad_images (bool): Skip and count records of missing or
            unreadable images instead of raising.
        text_field (str): Sentence field used as text.
        refs_file (str): Where ``refs`` come from, for error messages.
        instances_file (str): Where ``instances`` come from, for error
            messages.

    Returns:
        tuple: ``(records per split, ImportSummary)``.
    """
    found = sorted({r['split'] for r in refs})
    valid = VALID_SPLITS.get((dataset, split_by), found)
    stray = [s for s in found if s not in valid]
    if stray:
        raise ValueError(f'The refs hold split(s) {stray} unknown for '
                         f'{dataset} ({split_by}); valid splits are '
                         f'{list(valid)}.')
    splits = check_splits(splits, valid)
    lookup = RefLookup(instances, refs_file, instances_file)
    summary = ImportSummary(dataset, split_by)
    checker = ImageChecker(image_root, skip_bad_images, unit='ref')
    out = ordered_splits(splits)
    progress = ProgressBar(len(refs))
    for ref in refs:
        progress.update()
        split = ref['split']
        if split not in out:
            continue
        image = lookup.image(ref)
        img_path = osp.join(image_dir, image['file_name'])
        ann_list = lookup.anns_of(ref)
        if not checker.ok(img_path, f'ref_id={ref["ref_id"]}', summary, split,
                          len(ref['sentences']),
                          (image['height'], image['width'])):
            continue
        records = ref_records(ref, ann_list, image, img_path, split, summary,
                              text_field)
        out[split].extend(records)
    print()
    return out, summary


def run_refer_import(refer_dir: str,
                     dataset: str,
                     split_by: str,
                     out_dir: str,
                     data_root: Optional[str] = None,
                     image_dir: str = 'coco/train2014',
                     splits: Optional[List[str]] = None,
                     skip_bad_images: bool = False,
                     fmt: str = 'json',
                     text_field: str = 'sent') -> Dict[str, object]:
    """Import ``refer_dir/instances.json`` + ``refer_dir/refs(<split_by>).p``.

    Returns:
        dict: ``paths`` written and the ``summary``.
    """
    dataset = DATASET_ALIASES.get(dataset, dataset)
    # Before the files: a refs(<name>).p of an unknown scheme must not
    # be imported as if it were one.
    check_split_by(dataset, split_by)
    ins_path = osp.join(refer_dir, 'instances.json')
    refs_path = osp.join(refer_dir, f'refs({split_by}).p')
    instances = load_json(ins_path)
    refs = load_refer_pickle(refs_path)
    out, summary = import_refs(
        refs,
        instances,
        dataset,
        split_by,
        image_dir,
        splits=splits,
        image_root=data_root,
        skip_bad_images=skip_bad_images,
        text_field=text_field,
        refs_file=refs_path,
        instances_file=ins_path)

    return finish_import(out, summary, out_dir, [ins_path, refs_path],
                         'import_refer', IMPORTER_VERSION, fmt)


def run_grefcoco_import(grefcoco_dir: str,
                        out_dir: str,
                        dataset: str = 'grefcoco',
                        data_root: Optional[str] = None,
                        image_dir: str = 'coco/train2014',
                        splits: Optional[List[str]] = None,
                        skip_bad_images: bool = False,
                        fmt: str = 'json') -> Dict[str, object]:
    """Import ``grefcoco_dir/grefs(unc).json`` + ``instances.json``.

    Expressions may refer to several objects (all their boxes are kept,
    the mask is the union) or to none (``ann_id == [-1]``: no box, an
    empty mask, ``no_target: true``); the summary counts both. The
    synthetic gRefCOCO-style variant is imported under its own
    ``dataset`` name.

    Returns:
        dict: ``paths`` written (``<dataset>_unc_<split>.<fmt>``) and the
        ``summary``.
    """
    refs_path = osp.join(grefcoco_dir, 'grefs(unc).json')
    ins_path = osp.join(grefcoco_dir, 'instances.json')
    refs = load_json(refs_path)
    instances = load_json(ins_path)
    out, summary = import_refs(
        refs,
        instances,
        dataset,
        'unc',
        image_dir,
        splits=splits,
        image_root=data_root,
        skip_bad_images=skip_bad_images,
        refs_file=refs_path,
        instances_file=ins_path)
    for split, records in out.items():
        summary.add(split, 'no_target', sum(r['no_target'] for r in records))
        summary.add(split, 'multi_target',
                    sum(len(r['bboxes']) > 1 for r in records))
    return finish_import(out, summary, out_dir, [refs_path, ins_path],
                         'import_grefcoco', IMPORTER_VERSION, fmt)
