# Copyright (c) mmvg contributors. All rights reserved.
"""Import Flickr30k Entities (``Sentences/``, ``Annotations/``, splits)."""
import os.path as osp
import re
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional

from mmengine.utils import ProgressBar

from .common import (VALID_SPLITS, ImageChecker, ImportSummary, check_splits,
                     ordered_splits)

# ``[/EN#<entity id>/<type>[/<type>...] <phrase words>]``
_PHRASE = re.compile(r'\[/EN#(\d+)/(\S+) ([^\]]*)\]')


def parse_sentence(line: str) -> tuple:
    """Strip the entity markup of one sentence.

    Returns:
        tuple: The plain text and its phrases, each a dict with
        ``start``/``end`` character offsets into the text, ``text``,
        ``entity_id`` and ``type``.
    """
    text, phrases, pos = '', [], 0
    for m in _PHRASE.finditer(line):
        text += line[pos:m.start()]
        phrase = m.group(3)
        phrases.append(
            dict(
                start=len(text),
                end=len(text) + len(phrase),
                text=phrase,
                entity_id=int(m.group(1)),
                type=m.group(2)))
        text += phrase
        pos = m.end()
    return text + line[pos:], phrases


def parse_annotation(path: str) -> tuple:
    """Read one ``Annotations/<id>.xml``.

    Returns:
        tuple: ``(height, width, boxes)`` with ``boxes`` mapping an entity
        id to its corner-format boxes; entities without a box (scene,
        notvisual) are absent.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'Corrupt annotation file {path}: {e}') from e
    try:
        size = root.find('size')
        height = int(size.find('height').text)
        width = int(size.find('width').text)
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f'Annotation file {path} has no valid '
                         '<size><height>/<width>.') from None
    boxes: Dict[int, List[List[float]]] = {}
    for obj in root.iter('object'):
        bndbox = obj.find('bndbox')
        if bndbox is None:
            continue
        box = [
            float(bndbox.find(k).text)
            for k in ('xmin', 'ymin', 'xmax', 'ymax')
        ]
        for name in obj.findall('name'):
            boxes.setdefault(int(name.text), []).append(box)
    return height, width, boxes


def merged_box(boxes: List[List[float]]) -> List[float]:
    """The smallest box holding all ``boxes`` (one phrase, several
    objects), as REC on Flickr30k uses."""
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes)
    ]


def _listed_file(flickr_dir: str, folder: str, name: str, listed: str) -> str:
    """The path of a split list entry's file, which must exist."""
    path = osp.join(flickr_dir, folder, name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{listed}, but {path} does not exist. Is '
                                f'{folder}/ complete (annotations.zip)?')
    return path


def import_flickr30k(flickr_dir: str,
                     image_dir: str,
                     mode: str = 'rec',
                     splits: Optional[List[str]] = None,
                     image_root: Optional[str] = None,
                     skip_bad_images: bool = False) -> tuple:
    """Convert Flickr30k Entities into canonical records per split.

    Args:
        flickr_dir (str): Holds ``Sentences/``, ``Annotations/`` and
            ``train.txt``/``val.txt``/``test.txt``.
        image_dir (str): Image directory relative to the data root.
        mode (str): ``'rec'``: one record per phrase with the merged box
            of its entity; ``'phrase'``: one record per sentence whose
            ``phrases`` carry spans and all boxes.
        splits (list[str], optional): Splits; all by default.
        image_root (str, optional): Data root to check images; None skips.
        skip_bad_images (bool): Skip and count bad images.

    Returns:
        tuple: ``(records per split, ImportSummary)``.
    """
    if mode not in ('rec', 'phrase'):
        raise ValueError(f'mode must be rec or phrase, got {mode!r}')
    splits = check_splits(splits, VALID_SPLITS[('flickr30k', 'entities')])
    summary = ImportSummary('flickr30k', 'entities')
    checker = ImageChecker(image_root, skip_bad_images, unit='image')
    out = ordered_splits(splits)
    sent_id = 0
    for split in splits:
        list_file = osp.join(flickr_dir, f'{split}.txt')
        if not osp.isfile(list_file):
            raise FileNotFoundError(f'Split list not found: {list_file}')
        with open(list_file) as f:
            ids = [(line_no, line.strip())
                   for line_no, line in enumerate(f, 1) if line.strip()]
        progress = ProgressBar(len(ids))
        for line_no, image_name in ids:
            progress.update()
            listed = f'{list_file} line {line_no}: image {image_name}'
            height, width, boxes = parse_annotation(
                _listed_file(flickr_dir, 'Annotations', f'{image_name}.xml',
                             listed))
            sent_file = _listed_file(flickr_dir, 'Sentences',
                                     f'{image_name}.txt', listed)
            with open(sent_file, encoding='utf-8') as f:
                sentences = [
                    parse_sentence(line.strip()) for line in f if line.strip()
                ]
            grounded_per_sentence = [[
                p for p in phrases if p['entity_id'] in boxes
            ] for _, phrases in sentences]
            # The records the image gives: its boxed phrases (rec) or its
            # sentences with a boxed phrase (phrase).
            num_expressions = sum(
                len(g) if mode == 'rec' else bool(g)
                for g in grounded_per_sentence)
            img_path = osp.join(image_dir, f'{image_name}.jpg')
            if not checker.ok(img_path, f'image {image_name}', summary, split,
                              num_expressions, (height, width)):
                # Keep the sentence ids of later images what they are
                # without the skip.
                sent_id += num_expressions
                continue
            base = dict(
                img_path=img_path,
                height=height,
                width=width,
                image_id=int(image_name))
            for index, ((text, phrases), grounded) in enumerate(
                    zip(sentences, grounded_per_sentence)):
                summary.add(split, 'phrases_without_box',
                            len(phrases) - len(grounded))
                if mode == 'rec':
                    for p in grounded:
                        out[split] += summary.target_records(
                            split,
                            dict(
                                base,
                                ref_id=p['entity_id'],
                                category_id=p['type'],
                                sentence=index),
                            [merged_box(boxes[p['entity_id']])],
                            [(sent_id, p['text'])])
                        sent_id += 1
                    continue
                if not grounded:
                    summary.add(split, 'dropped_sentence_without_box')
                    continue
                all_boxes = []
                for p in grounded:
                    p['bboxes'] = [
                        summary.fix_box(split, b, width, height)
                        for b in boxes[p['entity_id']]
                    ]
                    p['bboxes'] = [b for b in p['bboxes'] if b is not None]
                    all_boxes += [b for b in p['bboxes'] if b not in all_boxes]
                out[split] += summary.target_records(
                    split, dict(base, ref_id=index, phrases=grounded),
                    all_boxes, [(sent_id, text)])
                sent_id += 1
        print()
    return out, summary
