# Copyright (c) mmvg contributors. All rights reserved.
import json
import os
import os.path as osp
import pickle
import shutil
import warnings

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvg.datasets.canonical import load_canonical
from mmvg.datasets.importers.refer import run_refer_import


def _raw(root):
    refer = osp.join(root, 'refcoco')
    instances = json.load(open(osp.join(refer, 'instances.json')))
    with open(osp.join(refer, 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    return instances, refs


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _import(root, out, **kwargs):
    return run_refer_import(
        refer_dir=osp.join(root, 'refcoco'),
        dataset='refcoco',
        split_by='unc',
        out_dir=out,
        data_root=root,
        image_dir='train2014',
        **kwargs)


def test_import_round_trip(synthetic_raw, tmp_path):
    root, _ = synthetic_raw
    with warnings.catch_warnings():
        # The synthetic counts differ from the published RefCOCO counts.
        warnings.simplefilter('ignore')
        result = _import(root, str(tmp_path))
    instances, refs = _raw(root)
    anns = {a['id']: a for a in instances['annotations']}
    by_sent = {}
    for path in result['paths']:
        metainfo, records = load_canonical(path)
        assert metainfo['box_format'] == 'xyxy'
        assert metainfo['dataset'] == 'refcoco'
        assert len(metainfo['sources']) == 2
        assert all(len(s['sha256']) == 64 for s in metainfo['sources'])
        for rec in records:
            assert rec['sent_id'] not in by_sent
            by_sent[rec['sent_id']] = (metainfo['split'], rec)
    # Exactly one record per source sentence, in the right split.
    sentences = [(r, s) for r in refs for s in r['sentences']]
    assert len(by_sent) == len(sentences)
    for ref, sent in sentences:
        split, rec = by_sent[sent['sent_id']]
        assert split == ref['split'] and rec['text'] == sent['sent']
        x, y, w, h = anns[ref['ann_id']]['bbox']
        assert rec['bboxes'] == [[x, y, x + w, y + h]]
        assert rec['img_path'].startswith('train2014/COCO_train2014_')
        assert osp.isfile(osp.join(root, rec['img_path']))
    # The mask is the union of the source polygons.
    ref, sent = next((r, s) for r, s in sentences
                     if len(anns[r['ann_id']]['segmentation']) > 1)
    rec = by_sent[sent['sent_id']][1]
    polys = mask_utils.frPyObjects(anns[ref['ann_id']]['segmentation'],
                                   rec['height'], rec['width'])
    union = mask_utils.decode(polys).max(axis=2)
    assert union.sum() < mask_utils.decode(polys).sum()  # they overlap
    np.testing.assert_array_equal(mask_utils.decode(rec['mask']), union)
    assert result['summary'].counts['train']['expressions'] == sum(
        len(r['sentences']) for r in refs if r['split'] == 'train')


def test_published_count_warning(synthetic_raw, tmp_path):
    with pytest.warns(UserWarning, match='published count is 120624'):
        _import(synthetic_raw[0], str(tmp_path), splits=['train'])


def test_unknown_split(synthetic_raw, tmp_path):
    with pytest.raises(
            ValueError,
            match=r"valid splits are \['train', "
            r"'val', 'testA', 'testB'\]"):
        _import(synthetic_raw[0], str(tmp_path), splits=['test'])


def test_missing_image(synthetic_raw, tmp_path):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    instances, refs = _raw(root)
    victim = refs[0]
    name = instances['images'][victim['image_id'] - 1]['file_name']
    os.remove(osp.join(root, 'train2014', name))
    with pytest.raises(FileNotFoundError) as err:
        _import(root, str(tmp_path / 'out'), splits=[victim['split']])
    assert name in str(err.value)
    assert f'ref_id={victim["ref_id"]}' in str(err.value)
    # An unreadable (non-image) file is reported the same way.
    with open(osp.join(root, 'train2014', name), 'w') as f:
        f.write('not an image')
    with pytest.raises(FileNotFoundError, match='not a readable image'):
        _import(root, str(tmp_path / 'out'), splits=[victim['split']])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = _import(
            root,
            str(tmp_path / 'out'),
            splits=[victim['split']],
            skip_bad_images=True)
    skipped = sum(1 for r in refs if r['image_id'] == victim['image_id']
                  and r['split'] == victim['split'])
    counts = result['summary'].counts[victim['split']]
    assert counts['skipped_bad_image'] == skipped


def test_bad_boxes_and_empty_text(synthetic_raw, tmp_path):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    instances, refs = _raw(root)
    train = [r for r in refs if r['split'] == 'train']
    clipped, dropped, empty = train[0], train[1], train[2]
    anns = {a['id']: a for a in instances['annotations']}
    anns[clipped['ann_id']]['bbox'][0] = -5.0  # starts left of the image
    anns[dropped['ann_id']]['bbox'][2] = 0.0  # zero width
    empty['sentences'][0]['sent'] = '  '
    empty['sentences'][0]['raw'] = ''
    with open(osp.join(root, 'refcoco/instances.json'), 'w') as f:
        json.dump(instances, f)
    with open(osp.join(root, 'refcoco/refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = _import(root, str(tmp_path / 'out'), splits=['train'])
    counts = result['summary'].counts['train']
    assert counts['clipped_boxes'] >= 1
    assert counts['dropped_boxes'] == 1
    assert counts['dropped_bad_box'] == len(dropped['sentences'])
    assert counts['dropped_empty_text'] == 1
    _, records = load_canonical(result['paths'][0])
    ids = {r['sent_id'] for r in records}
    assert not ids & set(dropped['sent_ids'])
    assert empty['sent_ids'][0] not in ids
    rec = next(r for r in records if r['ref_id'] == clipped['ref_id'])
    assert rec['bboxes'][0][0] == 0.0
    text = '\n'.join(result['summary'].lines())
    assert 'dropped_boxes' in text and 'published' in text


def test_corrupt_sources(synthetic_raw, tmp_path):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    path = osp.join(root, 'refcoco/refs(unc).p')
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r'refs\(unc\).p'):
        _import(root, str(tmp_path / 'out'))
    os.remove(path)
    with pytest.raises(FileNotFoundError, match=r'refs\(unc\).p'):
        _import(root, str(tmp_path / 'out'))


def test_cli(synthetic_raw, tmp_path, capsys, data_tool):
    tool = data_tool('import_refer')
    with pytest.raises(SystemExit):
        tool.parse_args(['--help'])
    assert 'pickle' in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        tool.main([
            '--refer-dir',
            osp.join(synthetic_raw[0], 'refcoco'), '--dataset', 'refcoco',
            '--split-by', 'unc', '--data-root', synthetic_raw[0],
            '--image-dir', 'train2014', '--out-dir',
            str(tmp_path), '--format', 'jsonl', '--splits', 'val'
        ])
    assert 'published' in capsys.readouterr().out
    metainfo, records = load_canonical(str(tmp_path / 'refcoco_unc_val.jsonl'))
    assert metainfo['split'] == 'val' and records
