# Copyright (c) mmvg contributors. All rights reserved.
"""Canonical files: record count and hash, value checks, dataset names."""
import json
import os
import re
import warnings

import pytest

from mmvg.datasets import (RefCOCODataset, RefCOCOgDataset, VGDataset,
                           dump_canonical, load_canonical)
from mmvg.datasets.canonical import index_jsonl

NUM = 6


def _record(i: int, **changes) -> dict:
    rec = dict(
        img_path=f'{i}.jpg',
        height=40,
        width=60,
        image_id=i,
        ref_id=i,
        sent_id=100 + i,
        text=f'the red shape {i}',
        bboxes=[[1.5, 2.0, 30.0, 39.0]],
        mask=dict(size=[40, 60], counts='0`0'),
        no_target=False)
    rec.update(changes)
    return rec


def _write(tmp_path, name: str, records=None, dataset='refcoco') -> str:
    path = str(tmp_path / name)
    records = records or [_record(i) for i in range(NUM)]
    dump_canonical(path, dict(dataset=dataset, split='val'), records)
    return path


def _lazy(path: str, **kwargs) -> VGDataset:
    dataset = VGDataset(ann_file=path, **kwargs)
    assert dataset._streams_lines
    return dataset


def test_metainfo_carries_count_and_hash(tmp_path):
    for name in ('a.json', 'a.jsonl'):
        metainfo, records = load_canonical(_write(tmp_path, name))
        assert metainfo['num_records'] == len(records) == NUM
        assert re.fullmatch('[0-9a-f]{64}', metainfo['records_sha256'])


def test_jsonl_cut_at_a_line_boundary_fails(tmp_path):
    path = _write(tmp_path, 'full.jsonl')
    cut = tmp_path / 'cut.jsonl'
    with open(path) as f:  # ``head -n 4``: the metainfo and 3 records
        cut.write_text(''.join(f.readlines()[:4]))
    message = f'{re.escape(str(cut))}.*says {NUM} records, 3 found'
    with pytest.raises(ValueError, match=message):
        load_canonical(str(cut))
    with pytest.raises(ValueError, match=message):
        index_jsonl(str(cut))
    with pytest.raises(ValueError, match=message):
        _lazy(str(cut))
    with pytest.raises(ValueError, match=message):
        VGDataset(ann_file=str(cut), sampling='ref')  # the eager path


def _without_count(path: str) -> None:
    """Rewrite ``path`` as files were written before the count existed."""
    metainfo, records = load_canonical(path)
    for key in ('num_records', 'records_sha256'):
        metainfo.pop(key, None)
    with open(path, 'w') as f:
        if path.endswith('.jsonl'):
            f.write(json.dumps(dict(metainfo=metainfo)) + '\n')
            f.writelines(json.dumps(r) + '\n' for r in records)
        else:
            json.dump(dict(metainfo=metainfo, data_list=records), f)


@pytest.mark.parametrize('name', ['old.json', 'old.jsonl'])
def test_file_without_count_loads_with_one_warning(tmp_path, name):
    path = _write(tmp_path, name)
    _without_count(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert len(load_canonical(path)[1]) == NUM
        assert len(VGDataset(ann_file=path)) == NUM
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert path in messages[0] and 'no record count' in messages[0]
    assert '\n' not in messages[0]


@pytest.mark.parametrize('name', ['edited.json', 'edited.jsonl'])
def test_record_edited_in_place_fails(tmp_path, name):
    path = _write(tmp_path, name)
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(text.replace('the red shape 2', 'the red shape 9'))
    message = f'{re.escape(path)} was changed.*records_sha256='
    with pytest.raises(ValueError, match=message):
        load_canonical(path)
    with pytest.raises(ValueError, match=message):
        VGDataset(ann_file=path)


def test_dump_is_atomic(tmp_path):
    path = _write(tmp_path, 'kept.jsonl')
    before = open(path, 'rb').read()
    with pytest.raises(TypeError):
        dump_canonical(path, dict(dataset='refcoco'),
                       [_record(0), _record(1, text=object())])
    assert open(path, 'rb').read() == before
    assert os.listdir(tmp_path) == ['kept.jsonl']


BAD_RECORDS = {
    'zero-width box':
    (dict(bboxes=[[10.0, 2.0, 10.0, 30.0]]), 'no width or height'),
    'box outside the image':
    (dict(bboxes=[[1.0, 2.0, 62.0, 30.0]]), 'outside its 60x40 image'),
    'empty text': (dict(text='  '), 'empty text'),
    'mask of another size': (dict(mask=dict(size=[60, 40], counts='0`0')),
                             r'mask that is not an RLE of its 40x60 image'),
    'no_target with a box': (dict(no_target=True), 'no_target=True'),
}


@pytest.mark.parametrize('case', sorted(BAD_RECORDS))
def test_bad_record_raises_naming_file_and_record(tmp_path, case):
    changes, problem = BAD_RECORDS[case]
    records = [_record(i) for i in range(NUM)]
    records[3] = _record(3, **changes)
    path = _write(tmp_path, 'bad.json', records)
    where = f'{re.escape(path)}: record 3 \\(sent_id=103\\).*{problem}'
    with pytest.raises(ValueError, match=where):
        VGDataset(ann_file=path)
    lines = _write(tmp_path, 'bad.jsonl', records)
    where = f'{re.escape(lines)}: line 5 \\(sent_id=103\\).*{problem}'
    with pytest.raises(ValueError, match=where):
        load_canonical(lines)
    # The index decodes a record when it is read.
    dataset = _lazy(lines)
    dataset.get_data_info(2)
    with pytest.raises(ValueError, match=where):
        dataset.get_data_info(3)


@pytest.mark.parametrize('name', ['bad.json', 'bad.jsonl'])
def test_bad_records_dropped_and_counted(tmp_path, name):
    records = [_record(i) for i in range(NUM)]
    for index, (changes, _) in zip((1, 2, 4, 5), BAD_RECORDS.values()):
        records[index] = _record(index, **changes)
    path = _write(tmp_path, name, records)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        dataset = VGDataset(ann_file=path, drop_invalid_records=True)
    assert not dataset._streams_lines
    assert [dataset.get_data_info(i)['sent_id']
            for i in range(len(dataset))] == [100, 103]
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert f'{path}: dropped 4 of {NUM} records' in messages[0]


def test_box_within_the_tolerance_passes(tmp_path):
    path = _write(tmp_path, 'edge.json',
                  [_record(0, bboxes=[[-1.0, -0.5, 61.0, 41.0]])])
    assert len(load_canonical(path)[1]) == 1


@pytest.mark.parametrize('name', ['refcocog.json', 'refcocog.jsonl'])
def test_dataset_name_mismatch(tmp_path, name):
    path = _write(tmp_path, name, dataset='refcocog')
    with pytest.warns(UserWarning, match='RefCOCODataset is for') as caught:
        dataset = RefCOCODataset(ann_file=path)
    message = next(
        str(w.message) for w in caught if 'RefCOCODataset' in str(w.message))
    assert "RefCOCODataset is for 'refcoco'" in message
    assert f"{path} holds 'refcocog'" in message
    # What was read is reported, not the class's default.
    assert dataset.metainfo['dataset'] == 'refcocog'
    with pytest.raises(ValueError, match="RefCOCODataset.*'refcocog'"):
        RefCOCODataset(ann_file=path, dataset_name_mismatch='error')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert RefCOCOgDataset(ann_file=path).metainfo['dataset'] == 'refcocog'
        named = RefCOCODataset(
            ann_file=path, metainfo=dict(dataset='my_refcoco'))
        assert named.metainfo['dataset'] == 'my_refcoco'
