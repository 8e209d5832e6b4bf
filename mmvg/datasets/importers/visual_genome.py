# Copyright (c) mmvg contributors. All rights reserved.
"""Import Visual Genome region descriptions and merge the pretraining
mix with leakage removal."""
import os.path as osp
from collections import Counter
from typing import Dict, Iterable, List, Optional, Set

from mmengine.utils import ProgressBar

from ..canonical import load_canonical
from .common import ImageChecker, ImportSummary, xywh_to_xyxy

# Datasets whose image ids are COCO ids.
COCO_DATASETS = ('refcoco', 'refcoco+', 'refcocog', 'grefcoco')


def vg_image_path(image: dict, image_dir: str) -> str:
    """``VG_100K/<id>.jpg`` or ``VG_100K_2/<id>.jpg``, from the url."""
    url = image.get('url')
    if url:
        folder, name = url.rstrip('/').split('/')[-2:]
        return osp.join(image_dir, folder, name)
    return osp.join(image_dir, f'{image["image_id"]}.jpg')


def import_visual_genome(regions: List[dict],
                         image_data: List[dict],
                         image_dir: str,
                         image_root: Optional[str] = None,
                         skip_bad_images: bool = False,
                         regions_file: str = 'region_descriptions.json',
                         images_file: str = 'image_data.json') -> tuple:
    """Turn region descriptions into ``train`` records, one per region.

    Args:
        regions (list[dict]): ``region_descriptions.json``.
        image_data (list[dict]): ``image_data.json`` (sizes, coco ids).
        image_dir (str): Image directory relative to the data root.
        image_root (str, optional): Data root to check images; None skips.
        skip_bad_images (bool): Skip and count bad images.
        regions_file (str): Where ``regions`` come from, for messages.
        images_file (str): Where ``image_data`` come from, for messages.

    Returns:
        tuple: ``(dict(train=records), ImportSummary)``; each record
        carries ``coco_id`` (None when the image is not in COCO).
    """
    images = {img['image_id']: img for img in image_data}
    summary = ImportSummary('visual_genome', 'regions')
    checker = ImageChecker(image_root, skip_bad_images, unit='image')
    records = []
    progress = ProgressBar(len(regions))
    for entry in regions:
        progress.update()
        if not entry['regions']:
            continue
        first = entry['regions'][0]
        image = images.get(first['image_id'])
        if image is None:
            raise ValueError(
                f'{regions_file}: region {first["region_id"]} refers to '
                f'image_id {first["image_id"]}, which {images_file} does '
                'not contain. Are both files of the same release?')
        img_path = vg_image_path(image, image_dir)
        if not checker.ok(img_path, f'image_id={image["image_id"]}', summary,
                          'train', len(entry['regions']),
                          (image['height'], image['width'])):
            continue
        base = dict(
            img_path=img_path,
            height=image['height'],
            width=image['width'],
            image_id=image['image_id'],
            coco_id=image.get('coco_id'))
        for region in entry['regions']:
            box = xywh_to_xyxy(
                [region['x'], region['y'], region['width'], region['height']])
            records += summary.target_records(
                'train', dict(base, ref_id=region['region_id']), [box],
                [(region['region_id'], region['phrase'])])
    print()
    return dict(train=records), summary


def held_out_coco_ids(paths: Iterable[str]) -> Set[int]:
    """COCO image ids of the given val/test canonical files."""
    ids: Set[int] = set()
    for path in paths:
        metainfo, records = load_canonical(path)
        if metainfo.get('dataset') not in COCO_DATASETS:
            raise ValueError(f'{path} is {metainfo.get("dataset")!r}; '
                             f'held-out files must be one of '
                             f'{COCO_DATASETS}.')
        if metainfo.get('split') == 'train':
            raise ValueError(f'{path} is a train split; pass val/test files '
                             'as held-out.')
        ids.update(int(r['image_id']) for r in records)
    return ids


def merge_pretrain(train_files: Iterable[str], held_out: Set[int]) -> tuple:
    """Concatenate training files, dropping every record whose image is a
    held-out COCO image (directly, or as a VG image's ``coco_id``).

    Returns:
        tuple: The records (each with ``source``, its dataset) and a
        ``Counter`` of removed records per source.
    """
    merged: List[dict] = []
    removed: Dict[str, int] = Counter()
    for path in train_files:
        metainfo, records = load_canonical(path)
        source = metainfo.get('dataset', osp.basename(path))
        if metainfo.get('split') not in (None, 'train'):
            raise ValueError(f'{path} is split {metainfo["split"]!r}; '
                             'only train splits may be merged.')
        for rec in records:
            coco_id = rec['image_id'] if source in COCO_DATASETS \
                else rec.get('coco_id')
            if coco_id is not None and int(coco_id) in held_out:
                removed[source] += 1
                continue
            merged.append(dict(rec, source=source))
    return merged, removed
