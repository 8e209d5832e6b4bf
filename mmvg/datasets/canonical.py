# Copyright (c) mmvg contributors. All rights reserved.
"""The canonical annotation file: one record per (image, expression).

A canonical file is a JSON object ``{"metainfo": {...}, "data_list":
[...]}`` (mmengine's dataset format) or, for very large sets, JSON lines
whose first line is ``{"metainfo": {...}}`` and every further line one
record. Canonical files are never pickles. The schema is documented in
``docs/en/dataset_format.md``.

:func:`dump_canonical` stores the number of records (``num_records``)
and the sha256 of their bytes as written (``records_sha256``) in the
metainfo; every loader checks both, so a copy cut at a line boundary or
a record edited in place fails instead of loading quietly.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
import warnings
from typing import Iterable, List, Optional, Set, Tuple

import numpy as np

from .record_checks import InvalidRecords, check_record

SCHEMA_VERSION = 1
BOX_FORMAT = 'xyxy'
# Files are read in blocks of this size, hashed and scanned for line ends
# while the block is in the CPU cache.
_BLOCK = 1 << 22
# Files already warned about for carrying no record count.
_WARNED_WITHOUT_COUNT: Set[str] = set()


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def source_entries(sources: Iterable[str]) -> List[dict]:
    """``[{path: basename, sha256}]`` of the source files an importer read,
    so that what it wrote can be traced back."""
    return [dict(path=osp.basename(p), sha256=sha256_of(p)) for p in sources]


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
        sources=source_entries(sources))
    info.update(extra)
    return info


def _compact(obj) -> str:
    return json.dumps(obj, separators=(',', ':'))


def _json_head(metainfo: dict) -> bytes:
    """The bytes of a ``.json`` canonical file before its first record."""
    return ('{"metainfo":' + _compact(metainfo) + ',"data_list":[').encode()


def dump_canonical(path: str, metainfo: dict, records: Iterable[dict]) -> None:
    """Write a canonical file; ``.jsonl`` gives JSON lines, else JSON.

    Records are written as compact JSON (one per line in ``.jsonl``). The
    metainfo written gains ``num_records`` and ``records_sha256``, the
    sha256 of the record bytes: every line after the first in ``.jsonl``,
    the inside of the ``data_list`` brackets in ``.json``.

    Args:
        path (str): The file to write; it appears complete or not at all.
        metainfo (dict): The metainfo (see :func:`make_metainfo`).
        records (Iterable[dict]): The records.
    """
    out_dir = osp.dirname(path)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    jsonl = path.endswith('.jsonl')
    tmp = path + '.tmp'
    digest, count = hashlib.sha256(), 0
    try:
        # The count and hash go in the metainfo, at the top of the file:
        # the records are written aside first (an unnamed file that
        # vanishes with the process), then copied after it.
        with tempfile.TemporaryFile(dir=out_dir or None) as body:
            for count, rec in enumerate(records, 1):
                if jsonl:
                    chunk = _compact(rec) + '\n'
                else:
                    chunk = (',' if count > 1 else '') + _compact(rec)
                chunk = chunk.encode()
                digest.update(chunk)
                body.write(chunk)
            info = dict(
                metainfo, num_records=count, records_sha256=digest.hexdigest())
            body.seek(0)
            # Write then rename, so an interrupted import never leaves a
            # truncated file that looks complete.
            with open(tmp, 'wb') as f:
                f.write((json.dumps(dict(metainfo=info)) +
                         '\n').encode() if jsonl else _json_head(info))
                shutil.copyfileobj(body, f, _BLOCK)
                if not jsonl:
                    f.write(b']}')
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def check_integrity(path: str, metainfo: dict, found: int,
                    digest: Optional[str]) -> None:
    """Compare what a loader found with the file's ``num_records`` and
    ``records_sha256``.

    A file without ``num_records`` (written before mmvg stored it) passes
    with one warning per file.

    Args:
        path (str): The file.
        metainfo (dict): Its metainfo.
        found (int): The records found in it.
        digest (str, optional): The sha256 of its record bytes; None if
            they are not laid out as :func:`dump_canonical` writes them.

    Raises:
        ValueError: The count or the hash differs, naming the file and the
            expected and found values.
    """
    expected = metainfo.get('num_records')
    if expected is None:
        key = osp.abspath(path)
        if key not in _WARNED_WITHOUT_COUNT:
            _WARNED_WITHOUT_COUNT.add(key)
            warnings.warn(f'Annotation file {path} carries no record count '
                          '(written before mmvg stored one), so a truncated '
                          'copy cannot be detected; re-run its importer.')
        return
    if found != expected:
        raise ValueError(
            f'Annotation file {path} is truncated or altered: its metainfo '
            f'says {expected} records, {found} found. Copy it again or '
            're-run its importer.')
    expected_hash = metainfo.get('records_sha256')
    if expected_hash is None or digest == expected_hash:
        return
    found_hash = (f'its records hash to {digest}' if digest else
                  'its bytes are not laid out as dump_canonical writes them')
    raise ValueError(
        f'Annotation file {path} was changed after it was written: '
        f'{found_hash}, its metainfo says records_sha256={expected_hash} '
        '(a copy cut short, a record edited, a corrupt copy, or a file '
        'rewritten by another tool). Re-run its importer, or write it with '
        'mmvg.datasets.dump_canonical.')


def _read_header(line: bytes, path: str) -> dict:
    """The metainfo of a JSON-lines file from its first line."""
    if not line.strip():
        raise ValueError(f'Annotation file {path} is empty.')
    try:
        metainfo = json.loads(line)['metainfo']
        if isinstance(metainfo, dict):
            return metainfo
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        pass
    raise ValueError(f'Annotation file {path}: the first line must be '
                     '{"metainfo": {...}}.')


def _load_jsonl(path: str, invalid: InvalidRecords) -> Tuple[dict, List[dict]]:
    records = []
    digest = hashlib.sha256()
    found = 0
    with open(path, 'rb') as f:
        metainfo = _read_header(f.readline(), path)
        for lineno, line in enumerate(f, 2):
            digest.update(line)
            if not line.strip():
                continue
            found += 1
            try:
                rec = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise ValueError(
                    f'Corrupt or truncated annotation file {path}: line '
                    f'{lineno} is not valid JSON ({e}).') from e
            if invalid.keep(rec, 'line', lineno):
                records.append(rec)
    check_integrity(path, metainfo, found, digest.hexdigest())
    return metainfo, records


def index_jsonl(path: str) -> Tuple[dict, np.ndarray, np.ndarray]:
    """Index a JSON-lines canonical file without parsing its records.

    The record count and hash are checked (:func:`check_integrity`) and
    so is the last record, where a file cut inside a line breaks.

    Returns:
        tuple: The metainfo, the record bytes (uint8 array) and the end
        offset of every record in them (mmengine's serialized layout).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    digest = hashlib.sha256()
    ends = []
    with open(path, 'rb') as f:
        metainfo = _read_header(f.readline(), path)
        data = np.empty(os.fstat(f.fileno()).st_size - f.tell(), np.uint8)
        view, size = memoryview(data), 0
        while size < len(data):
            # Hash and scan each block while it is in the cache: this is
            # faster than one read and two passes over the whole file.
            got = f.readinto(view[size:size + _BLOCK])
            if not got:
                break
            digest.update(view[size:size + got])
            ends.append(
                np.flatnonzero(data[size:size + got] == ord('\n')) + size + 1)
            size += got
    data = data[:size]
    ends = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    if size and (not len(ends) or ends[-1] != size):
        ends = np.append(ends, size)
    ends = ends.astype(np.int64)
    check_integrity(path, metainfo, len(ends), digest.hexdigest())
    if len(ends):
        read_jsonl_record(data, ends, len(ends) - 1, path)
    return metainfo, data, ends


def read_jsonl_record(data: np.ndarray, ends: np.ndarray, idx: int,
                      path: str) -> dict:
    """Decode record ``idx`` of an indexed JSON-lines file and check its
    values (:mod:`mmvg.datasets.record_checks`).

    Raises:
        ValueError: The record is not valid JSON or fails a value check,
            naming the file, the line and the ``sent_id``.
    """
    idx = int(idx) if idx >= 0 else len(ends) + int(idx)
    start = int(ends[idx - 1]) if idx > 0 else 0
    try:
        rec = json.loads(data[start:int(ends[idx])].tobytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'Corrupt or truncated annotation file {path}: '
                         f'line {idx + 2} is not valid JSON ({e}).') from e
    check_record(rec, path, 'line', idx + 2)
    return rec


def _load_json(path: str, invalid: InvalidRecords) -> Tuple[dict, List[dict]]:
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(
            f'Corrupt or truncated annotation file {path}: {e}. '
            'Re-run the importer (canonical files are JSON, never '
            'pickles).') from e
    if not isinstance(obj, dict) or 'data_list' not in obj \
            or not isinstance(obj.get('metainfo'), dict):
        raise ValueError(
            f'Annotation file {path} is not a canonical mmvg file: it '
            'needs the keys "metainfo" and "data_list" (see '
            'docs/en/dataset_format.md).')
    metainfo, records = obj['metainfo'], obj['data_list']
    if not isinstance(records, list):
        raise ValueError(f'Annotation file {path}: data_list is not a list.')
    digest = None
    if 'records_sha256' in metainfo:
        # The records' bytes lie between the head dump_canonical writes
        # and the closing ``]}``; hashing them costs far less than
        # serializing the records again.
        head = _json_head(metainfo)
        body = raw.rstrip()
        if body.startswith(head) and body.endswith(b']}'):
            digest = hashlib.sha256(memoryview(body)[len(head):-2]).hexdigest()
    check_integrity(path, metainfo, len(records), digest)
    return metainfo, [
        rec for idx, rec in enumerate(records)
        if invalid.keep(rec, 'record', idx)
    ]


def load_canonical(
        path: str,
        drop_invalid_records: bool = False) -> Tuple[dict, List[dict]]:
    """Read a canonical file, check its integrity and its records.

    Args:
        path (str): A ``.json`` or ``.jsonl`` canonical file.
        drop_invalid_records (bool): Drop the records that fail the value
            checks (:mod:`mmvg.datasets.record_checks`), with one warning
            giving their number, instead of raising on the first.
            Defaults to False.

    Returns:
        tuple[dict, list[dict]]: The metainfo and the records.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is truncated, altered, corrupt or not
            canonical, or a record fails a value check; the message names
            the file (and the record where one is at fault).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    invalid = InvalidRecords(path, drop=drop_invalid_records)
    if path.endswith('.jsonl'):
        metainfo, records = _load_jsonl(path, invalid)
    else:
        metainfo, records = _load_json(path, invalid)
    invalid.warn_dropped(len(records) + invalid.dropped)
    return metainfo, records
