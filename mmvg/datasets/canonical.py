# Copyright (c) mmvg contributors. All rights reserved.
"""The canonical annotation file: one record per (image, expression).

A canonical file is a JSON object ``{"metainfo": {...}, "data_list":
[...]}`` (mmengine's dataset format) or, for very large sets, JSON lines
whose first line is ``{"metainfo": {...}}`` and every further line one
record. Canonical files are never pickles. The schema is documented in
``docs/en/dataset_format.md``.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Iterable, List, Tuple

import numpy as np

SCHEMA_VERSION = 1
BOX_FORMAT = 'xyxy'
# Keys every record must carry; the optional ones are ``mask``,
# ``category_id``, ``phrases``, ``ann_ids`` and ``source``.
REQUIRED_KEYS = ('img_path', 'height', 'width', 'image_id', 'ref_id',
                 'sent_id', 'text', 'bboxes', 'no_target')


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def make_metainfo(dataset: str, split_by: str, split: str,
                  sources: Iterable[str], importer: str, importer_version: str,
                  **extra) -> dict:
    """Build the metainfo of a canonical file.

    Args:
        dataset (str): Dataset name, e.g. ``'refcoco'``.
        split_by (str): The split scheme, e.g. ``'unc'``.
        split (str): The split, e.g. ``'val'``.
        sources (Iterable[str]): The source files the importer read; their
            sha256 is recorded so that a canonical file can be traced back.
        importer (str): Name of the importer.
        importer_version (str): Version of the importer.
        **extra: Further keys to store.

    Returns:
        dict: The metainfo.
    """
    info = dict(
        dataset=dataset,
        split_by=split_by,
        split=split,
        box_format=BOX_FORMAT,
        schema_version=SCHEMA_VERSION,
        importer=importer,
        importer_version=importer_version,
        sources=[
            dict(path=osp.basename(p), sha256=sha256_of(p)) for p in sources
        ])
    info.update(extra)
    return info


def dump_canonical(path: str, metainfo: dict, records: List[dict]) -> None:
    """Write a canonical file; ``.jsonl`` gives JSON lines, else JSON."""
    out_dir = osp.dirname(path)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    tmp = path + '.tmp'
    # Write then rename, so an interrupted import never leaves a truncated
    # file that looks complete.
    with open(tmp, 'w', encoding='utf-8') as f:
        if path.endswith('.jsonl'):
            f.write(json.dumps(dict(metainfo=metainfo)) + '\n')
            for rec in records:
                f.write(json.dumps(rec, separators=(',', ':')) + '\n')
        else:
            json.dump(
                dict(metainfo=metainfo, data_list=records),
                f,
                separators=(',', ':'))
    os.replace(tmp, path)


def _load_jsonl(path: str) -> Tuple[dict, List[dict]]:
    records = []
    metainfo = None
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(
                    f'Corrupt or truncated annotation file {path}: line '
                    f'{lineno} is not valid JSON ({e.msg}).') from e
            if metainfo is None:
                if 'metainfo' not in obj:
                    raise ValueError(
                        f'Annotation file {path}: the first line must be '
                        '{"metainfo": {...}}.')
                metainfo = obj['metainfo']
            else:
                records.append(obj)
    if metainfo is None:
        raise ValueError(f'Annotation file {path} is empty.')
    return metainfo, records


def index_jsonl(path: str) -> Tuple[dict, np.ndarray, np.ndarray]:
    """Index a JSON-lines canonical file without parsing its records.

    Returns:
        tuple: The metainfo, the record bytes (uint8 array) and the end
        offset of every record in them (mmengine's serialized layout).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    with open(path, 'rb') as f:
        first = f.readline()
        data = np.frombuffer(f.read(), dtype=np.uint8)
    try:
        metainfo = json.loads(first)['metainfo']
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(f'Annotation file {path}: the first line must be '
                         '{"metainfo": {...}}.') from e
    ends = np.flatnonzero(data == ord('\n')) + 1
    if len(data) and (not len(ends) or ends[-1] != len(data)):
        ends = np.append(ends, len(data))
    ends = ends.astype(np.int64)
    if len(ends):
        # A truncated file ends in a broken record: catch it now, before
        # training starts, rather than when that sample is drawn.
        read_jsonl_record(data, ends, len(ends) - 1, path)
    return metainfo, data, ends


def read_jsonl_record(data: np.ndarray, ends: np.ndarray, idx: int,
                      path: str) -> dict:
    """Decode record ``idx`` of an indexed JSON-lines file."""
    idx = int(idx) if idx >= 0 else len(ends) + int(idx)
    start = int(ends[idx - 1]) if idx > 0 else 0
    try:
        rec = json.loads(data[start:int(ends[idx])].tobytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'Corrupt or truncated annotation file {path}: '
                         f'line {idx + 2} is not valid JSON ({e}).') from e
    if not isinstance(rec, dict) or any(k not in rec for k in REQUIRED_KEYS):
        raise ValueError(f'Annotation file {path}: line {idx + 2} is not a '
                         f'record with the keys {list(REQUIRED_KEYS)}.')
    return rec


def load_canonical(path: str) -> Tuple[dict, List[dict]]:
    """Read a canonical file and check its shape.

    Args:
        path (str): A ``.json`` or ``.jsonl`` canonical file.

    Returns:
        tuple[dict, list[dict]]: The metainfo and the records.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is truncated, corrupt or not canonical; the
            message names the file (and the record where one is at fault).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    if path.endswith('.jsonl'):
        metainfo, records = _load_jsonl(path)
    else:
        try:
            with open(path, encoding='utf-8') as f:
                obj = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(
                f'Corrupt or truncated annotation file {path}: {e}. '
                'Re-run the importer (canonical files are JSON, never '
                'pickles).') from e
        if not isinstance(obj, dict) or 'data_list' not in obj \
                or 'metainfo' not in obj:
            raise ValueError(
                f'Annotation file {path} is not a canonical mmvg file: it '
                'needs the keys "metainfo" and "data_list" (see '
                'docs/en/dataset_format.md).')
        metainfo, records = obj['metainfo'], obj['data_list']
    check_records(records, path)
    return metainfo, records


def check_records(records: List[dict], path: str) -> None:
    """Raise a ValueError naming the file and record if a key is missing."""
    for idx, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise ValueError(f'Annotation file {path}: record {idx} is not '
                             'an object.')
        missing = [k for k in REQUIRED_KEYS if k not in rec]
        if missing:
            raise ValueError(
                f'Annotation file {path}: record {idx} (sent_id='
                f'{rec.get("sent_id")}) lacks the keys {missing}.')
