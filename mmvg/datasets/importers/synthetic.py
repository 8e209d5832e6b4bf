# Copyright (c) mmvg contributors. All rights reserved.
"""The synthetic shapes dataset: generator and one-call preparation.

Each image shows 2-6 coloured shapes on a grey background; each shape is
a referred object with 1-3 expressions about its colour, shape and
position ("the red circle", "the blue square left of the green
triangle"). :func:`generate` writes the raw files in the layout of the
public releases, so the real importers read them::

    OUT_DIR/train2014/COCO_train2014_%012d.jpg
    OUT_DIR/refcoco/instances.json   COCO style, xywh boxes, polygons
    OUT_DIR/refcoco/refs(unc).p      train / val / testA / testB
    OUT_DIR/refcoco/synthetic_dets.json  detections, MAttNet's layout
    OUT_DIR/grefcoco/instances.json  (with grefcoco=True)
    OUT_DIR/grefcoco/grefs(unc).json multi-target and no-target refs

It also writes detector output for two-stage models in MAttNet's
``*_dets.json`` layout (:func:`synthetic_detections`,
``OUT_DIR/refcoco/synthetic_dets.json``): every shape's box jittered (a
few missed) plus distractor boxes.

Squares are stored as two overlapping rectangles, so a mask must be the
union of an object's polygons (a sum would be wrong where they overlap).
The output depends only on the arguments (deterministic by ``seed``).

:func:`prepare_synthetic` is the one function that turns nothing into a
dataset ready for training: it runs the generator, the refer importer and
the vocabulary builder, and writes the proposals files, each only where
its output is missing.
``data_tools/make_synthetic.py`` (``--prepare``) and
:class:`mmvg.datasets.SyntheticDataset` (on first use) both call it.
"""
import json
import os
import os.path as osp
import pickle
from typing import Dict, List, Tuple

import cv2
import numpy as np

from .proposals import import_proposals
from .refer import run_grefcoco_import, run_refer_import
from .vocab import write_sentencepiece_model, write_word_vocab

COLOURS: Dict[str, Tuple[int, int, int]] = {  # BGR, as OpenCV writes
    'red': (40, 40, 220),
    'green': (60, 180, 60),
    'blue': (220, 90, 30),
    'yellow': (40, 220, 230),
    'purple': (170, 50, 150),
    'white': (250, 250, 250),
}
SHAPES = ('circle', 'square', 'triangle', 'diamond')
CATEGORIES = [dict(id=i + 1, name=s) for i, s in enumerate(SHAPES)]
SPLITS = ('train', 'val', 'testA', 'testB')
# Share of images per split, in the order of SPLITS.
SPLIT_SHARES = (0.7, 0.1, 0.1, 0.1)
# The synthetic detector: the share of shapes it misses, the spread of
# its box centres and sides (relative to the side), and how many
# distractor boxes it adds per image.
DET_MISS_RATE = 0.04
DET_CENTRE_SPREAD = 0.08
DET_SIDE_SPREAD = 0.12
DET_DISTRACTORS = (2, 6)


def shape_polygons(shape: str, cx: float, cy: float,
                   r: float) -> List[np.ndarray]:
    """Return the polygons (each (K, 2) float) that make up one shape."""
    if shape == 'circle':
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        return [np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1)]
    if shape == 'square':
        # Two rectangles overlapping in the middle third.
        left = [(cx - r, cy - r), (cx + r / 3, cy - r), (cx + r / 3, cy + r),
                (cx - r, cy + r)]
        right = [(cx - r / 3, cy - r), (cx + r, cy - r), (cx + r, cy + r),
                 (cx - r / 3, cy + r)]
        return [np.array(left), np.array(right)]
    if shape == 'triangle':
        return [np.array([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)])]
    return [np.array([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)])]


def place_objects(rng: np.random.Generator, width: int,
                  height: int) -> List[dict]:
    """Draw 2-6 non-overlapping shapes (by their bounding circles)."""
    objects: List[dict] = []
    wanted = int(rng.integers(2, 7))
    for _ in range(wanted * 20):
        if len(objects) == wanted:
            break
        r = float(rng.integers(10, 26))
        cx = float(rng.uniform(r + 1, width - r - 1))
        cy = float(rng.uniform(r + 1, height - r - 1))
        if any((cx - o['cx'])**2 + (cy - o['cy'])**2 < (r + o['r'] + 4)**2
               for o in objects):
            continue
        objects.append(
            dict(
                cx=cx,
                cy=cy,
                r=r,
                colour=str(rng.choice(list(COLOURS))),
                shape=str(rng.choice(SHAPES))))
    return objects


def _name(obj: dict) -> str:
    return f'{obj["colour"]} {obj["shape"]}'


def describe(obj: dict, objects: List[dict],
             rng: np.random.Generator) -> List[str]:
    """Return 1-3 expressions that single ``obj`` out among ``objects``."""
    same = [o for o in objects if _name(o) == _name(obj)]
    same_colour = [o for o in objects if o['colour'] == obj['colour']]
    same_shape = [o for o in objects if o['shape'] == obj['shape']]
    sentences = []
    if len(same) == 1:
        sentences.append(f'the {_name(obj)}')
        if len(same_colour) == 1:
            sentences.append(f'the {obj["colour"]} shape')
        if len(same_shape) == 1:
            sentences.append(f'the {obj["shape"]}')
        others = [
            o for o in objects
            if o is not obj and sum(_name(p) == _name(o) for p in objects) == 1
        ]
        if others:
            other = others[int(rng.integers(len(others)))]
            side = 'left' if obj['cx'] < other['cx'] else 'right'
            sentences.append(f'the {_name(obj)} {side} of the {_name(other)}')
    else:
        xs = sorted(o['cx'] for o in same)
        if obj['cx'] == xs[0]:
            sentences.append(f'the {_name(obj)} on the left')
            sentences.append(f'leftmost {_name(obj)}')
        elif obj['cx'] == xs[-1]:
            sentences.append(f'the {_name(obj)} on the right')
            sentences.append(f'rightmost {_name(obj)}')
        else:
            sentences.append(f'the middle {_name(obj)} among the '
                             f'{len(same)}')
    if obj['cx'] == min(o['cx'] for o in objects):
        sentences.append('the leftmost shape')
    elif obj['cx'] == max(o['cx'] for o in objects):
        sentences.append('the rightmost shape')
    keep = int(rng.integers(1, min(3, len(sentences)) + 1))
    picked = rng.choice(len(sentences), size=keep, replace=False)
    return [sentences[i] for i in sorted(picked)]


def _sentence(text: str, sent_id: int) -> dict:
    return dict(raw=text, sent=text, tokens=text.split(), sent_id=sent_id)


def _bbox(polygons: List[np.ndarray]) -> List[float]:
    pts = np.concatenate(polygons)
    x1, y1 = pts.min(0)
    x2, y2 = pts.max(0)
    return [round(float(v), 2) for v in (x1, y1, x2 - x1, y2 - y1)]


def generate(out_dir: str,
             num_images: int = 2000,
             seed: int = 0,
             grefcoco: bool = False) -> dict:
    """Write the synthetic dataset; return the number of items written.

    Args:
        out_dir (str): Output root.
        num_images (int): Number of images. Defaults to 2000.
        seed (int): Random seed. Defaults to 0.
        grefcoco (bool): Also write the gRefCOCO-style variant.

    Returns:
        dict: Counts of images, objects, refs, sentences and grefs.
    """
    rng = np.random.default_rng(seed)
    img_dir = osp.join(out_dir, 'train2014')
    os.makedirs(img_dir, exist_ok=True)
    order = rng.permutation(num_images)
    bounds = np.cumsum(SPLIT_SHARES) * num_images
    images, anns, refs, grefs, scenes = [], [], [], [], []
    next_sent = 0
    for image_id in range(1, num_images + 1):
        rank = int(np.searchsorted(bounds, order[image_id - 1], 'right'))
        split = SPLITS[min(rank, len(SPLITS) - 1)]
        width = int(rng.integers(160, 321))
        height = int(rng.integers(120, 241))
        file_name = f'COCO_train2014_{image_id:012d}.jpg'
        canvas = np.full((height, width, 3), 128, np.uint8)
        objects = place_objects(rng, width, height)
        for obj in objects:
            polys = shape_polygons(obj['shape'], obj['cx'], obj['cy'],
                                   obj['r'])
            polys = [np.round(p, 2) for p in polys]
            cv2.fillPoly(canvas, [np.round(p).astype(np.int32) for p in polys],
                         COLOURS[obj['colour']])
            obj['ann_id'] = len(anns) + 1
            anns.append(
                dict(
                    id=obj['ann_id'],
                    image_id=image_id,
                    category_id=SHAPES.index(obj['shape']) + 1,
                    bbox=_bbox(polys),
                    segmentation=[p.reshape(-1).tolist() for p in polys],
                    area=float(
                        sum(
                            cv2.contourArea(p.astype(np.float32))
                            for p in polys)),
                    iscrowd=0))
        cv2.imwrite(
            osp.join(img_dir, file_name), canvas,
            [cv2.IMWRITE_JPEG_QUALITY, 90])
        images.append(
            dict(id=image_id, file_name=file_name, height=height, width=width))
        for obj in objects:
            sents = []
            for text in describe(obj, objects, rng):
                sents.append(_sentence(text, next_sent))
                next_sent += 1
            refs.append(
                dict(
                    ref_id=len(refs),
                    ann_id=obj['ann_id'],
                    image_id=image_id,
                    split=split,
                    sentences=sents,
                    sent_ids=[s['sent_id'] for s in sents],
                    category_id=SHAPES.index(obj['shape']) + 1,
                    file_name=f'{file_name[:-4]}_{obj["ann_id"]}.jpg'))
        scenes.append((image_id, split, file_name, objects))
    if grefcoco:
        # A second generator, so that the refer files do not depend on
        # whether the gRefCOCO variant is written.
        grefs = make_grefs(scenes, refs, np.random.default_rng(seed + 1),
                           next_sent)
    instances = dict(images=images, annotations=anns, categories=CATEGORIES)
    ref_dir = osp.join(out_dir, 'refcoco')
    os.makedirs(ref_dir, exist_ok=True)
    with open(osp.join(ref_dir, 'instances.json'), 'w') as f:
        json.dump(instances, f)
    with open(osp.join(ref_dir, 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f, protocol=2)
    write_synthetic_detections(out_dir, instances, seed)
    if grefcoco:
        gdir = osp.join(out_dir, 'grefcoco')
        os.makedirs(gdir, exist_ok=True)
        with open(osp.join(gdir, 'instances.json'), 'w') as f:
            json.dump(instances, f)
        with open(osp.join(gdir, 'grefs(unc).json'), 'w') as f:
            json.dump(grefs, f)
    return dict(
        images=len(images),
        objects=len(anns),
        refs=len(refs),
        sentences=sum(len(r['sentences']) for r in refs),
        grefs=len(grefs))


def make_grefs(scenes: List[tuple], refs: List[dict], rng: np.random.Generator,
               next_sent: int) -> List[dict]:
    """Return gRefCOCO-style refs: the single-object refs, then per image
    the multi-target and one no-target expression."""
    grefs = [
        dict(
            ref,
            ref_id=i,
            ann_id=[ref['ann_id']],
            category_id=[ref['category_id']],
            no_target=False) for i, ref in enumerate(refs)
    ]
    for image_id, split, file_name, objects in scenes:
        next_sent = _add_grefs(grefs, objects, image_id, split, file_name,
                               next_sent, rng)
    return grefs


def _add_grefs(grefs: List[dict], objects: List[dict], image_id: int,
               split: str, file_name: str, next_sent: int,
               rng: np.random.Generator) -> int:
    """Append multi-target and no-target refs of one image."""
    targets = []
    for colour in sorted({o['colour'] for o in objects}):
        group = [o for o in objects if o['colour'] == colour]
        if len(group) > 1:
            targets.append((f'all {colour} shapes', group))
    for shape in sorted({o['shape'] for o in objects}):
        group = [o for o in objects if o['shape'] == shape]
        if len(group) > 1:
            targets.append((f'the {shape}s', group))
    present = {_name(o) for o in objects}
    absent = [
        f'{c} {s}' for c in COLOURS for s in SHAPES
        if f'{c} {s}' not in present
    ]
    targets.append((f'the {absent[int(rng.integers(len(absent)))]}', []))
    for text, group in targets:
        ann_ids = [o['ann_id'] for o in group] or [-1]
        grefs.append(
            dict(
                ref_id=len(grefs),
                ann_id=ann_ids,
                image_id=image_id,
                split=split,
                sentences=[_sentence(text, next_sent)],
                sent_ids=[next_sent],
                category_id=[SHAPES.index(o['shape']) + 1 for o in group]
                or [-1],
                no_target=not group,
                file_name=file_name))
        next_sent += 1
    return next_sent


def synthetic_detections(instances: dict, seed: int = 0) -> List[dict]:
    """Detections of the synthetic shapes, as MAttNet's ``*_dets.json``
    lists them (``det_id``, ``image_id``, ``category_id``, ``box`` xywh,
    ``score``).

    Each shape is found with probability ``1 - DET_MISS_RATE``, its box
    moved and resized at random (``DET_CENTRE_SPREAD``,
    ``DET_SIDE_SPREAD``), with a score in [0.5, 1); each image also gets
    distractor boxes anywhere in it with scores in [0, 0.6). Deterministic
    by ``seed`` and the annotations.
    """
    rng = np.random.default_rng(seed + 2)
    by_image: Dict[int, List[dict]] = {}
    for ann in instances['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    dets: List[dict] = []
    for image in instances['images']:
        width, height = image['width'], image['height']
        found = []
        for ann in by_image.get(image['id'], []):
            if rng.random() < DET_MISS_RATE:
                continue
            x, y, w, h = ann['bbox']
            cx = x + w / 2 + rng.normal(0, DET_CENTRE_SPREAD) * w
            cy = y + h / 2 + rng.normal(0, DET_CENTRE_SPREAD) * h
            w, h = np.array([w, h]) * np.exp(rng.normal(0, DET_SIDE_SPREAD, 2))
            box = [cx - w / 2, cy - h / 2, w, h]
            found.append((ann['category_id'], box, rng.uniform(0.5, 1.0)))
        for _ in range(int(rng.integers(*DET_DISTRACTORS))):
            w, h = rng.uniform(0.1, 0.5, 2) * (width, height)
            x, y = rng.uniform(0, 1, 2) * (width - w, height - h)
            category_id = int(rng.integers(1, len(SHAPES) + 1))
            found.append((category_id, [x, y, w, h], rng.uniform(0.0, 0.6)))
        for category_id, box, score in sorted(found, key=lambda d: -d[2]):
            dets.append(
                dict(
                    det_id=len(dets),
                    image_id=image['id'],
                    category_id=category_id,
                    box=[round(float(v), 2) for v in box],
                    score=round(float(score), 4)))
    return dets


def write_synthetic_detections(data_root: str,
                               instances: dict,
                               seed: int = 0) -> str:
    """Write :func:`synthetic_detections` to
    ``refcoco/synthetic_dets.json``; return the path."""
    path = osp.join(data_root, 'refcoco', 'synthetic_dets.json')
    with open(path, 'w') as f:
        json.dump(synthetic_detections(instances, seed), f)
    return path


def import_synthetic_proposals(data_root: str, seed: int = 0) -> None:
    """Import the synthetic detections and the annotated boxes into the
    proposals files of the two-stage configs,
    ``annotations/synthetic_proposals_{dets,gt}.json``, as
    ``data_tools/import_proposals.py`` does (the detections are written
    first where a dataset generated before them lacks them)."""
    refer_dir = osp.join(data_root, 'refcoco')
    instances_file = osp.join(refer_dir, 'instances.json')
    dets_file = osp.join(refer_dir, 'synthetic_dets.json')
    if not osp.isfile(dets_file):
        with open(instances_file) as f:
            write_synthetic_detections(data_root, json.load(f), seed)
    for name, source in (('dets', dets_file), ('gt', instances_file)):
        import_proposals(
            source,
            f'synthetic_{name}',
            osp.join(data_root, 'annotations',
                     f'synthetic_proposals_{name}.json'),
            ground_truth=name == 'gt')


def prepare_synthetic(data_root: str,
                      num_images: int = 2000,
                      seed: int = 0,
                      grefcoco: bool = False) -> bool:
    """Write the synthetic dataset ready for training, unless it exists.

    Each step whose output is missing runs: :func:`generate` (images and
    raw refer files), the refer importer
    (``annotations/synthetic_unc_<split>.json``), the word vocabulary
    and the SentencePiece model of the train split
    (``annotations/vocab.json``, ``annotations/synthetic.spm``) and the
    proposals
    (:func:`import_synthetic_proposals`): the files that
    ``configs/_base_/datasets/synthetic.py`` and the two-stage configs
    read.

    Args:
        data_root (str): The dataset root, e.g. ``data/synthetic``.
        num_images (int): Images to generate. Defaults to 2000.
        seed (int): Random seed of the generator. Defaults to 0.
        grefcoco (bool): Also write the gRefCOCO-style variant, raw and
            imported (``annotations/grefcoco/synthetic_unc_<split>.json``,
            records of the ``synthetic`` dataset). Defaults to False.

    Returns:
        bool: Whether anything was written.
    """
    ann_dir = osp.join(data_root, 'annotations')
    refer_dir = osp.join(data_root, 'refcoco')
    vocab_file = osp.join(ann_dir, 'vocab.json')
    spm_file = osp.join(ann_dir, 'synthetic.spm')
    ann_files = [
        osp.join(ann_dir, f'synthetic_unc_{split}.json') for split in SPLITS
    ]
    proposal_files = [
        osp.join(ann_dir, f'synthetic_proposals_{name}.json')
        for name in ('dets', 'gt')
    ]
    gref_files = [
        osp.join(ann_dir, 'grefcoco', f'synthetic_unc_{split}.json')
        for split in SPLITS
    ] if grefcoco else []
    missing_grefs = grefcoco and not osp.isfile(
        osp.join(data_root, 'grefcoco', 'grefs(unc).json'))
    if (osp.isfile(vocab_file) and osp.isfile(spm_file)
            and all(map(osp.isfile, ann_files + gref_files))
            and all(map(osp.isfile, proposal_files))):
        return False
    if missing_grefs or not osp.isfile(osp.join(refer_dir, 'refs(unc).p')):
        # Deterministic: files that exist are rewritten byte for byte.
        print(f'Generating the synthetic dataset ({num_images} images) in '
              f'{data_root} ...')
        generate(
            data_root, num_images=num_images, seed=seed, grefcoco=grefcoco)
    if not all(map(osp.isfile, ann_files)):
        run_refer_import(
            refer_dir=refer_dir,
            dataset='synthetic',
            split_by='unc',
            out_dir=ann_dir,
            data_root=data_root,
            image_dir='train2014')
    if not all(map(osp.isfile, gref_files)):
        run_grefcoco_import(
            osp.join(data_root, 'grefcoco'),
            osp.join(ann_dir, 'grefcoco'),
            dataset='synthetic',
            data_root=data_root,
            image_dir='train2014')
    # Train expressions only: a vocabulary from val would leak its words.
    write_word_vocab(ann_files[:1], vocab_file)
    if not osp.isfile(spm_file):
        write_sentencepiece_model(ann_files[:1], spm_file)
    if not all(map(osp.isfile, proposal_files)):
        import_synthetic_proposals(data_root, seed)
    return True
