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


def _import(root, out, split_by='unc', **kwargs):
    return run_refer_import(
        refer_dir=osp.join(root, 'refcoco'),
        dataset='refcoco',
        split_by=split_by,
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


def _write_raw(root, instances=None, refs=None, split_by='unc'):
    refer = osp.join(root, 'refcoco')
    if instances is not None:
        with open(osp.join(refer, 'instances.json'), 'w') as f:
            json.dump(instances, f)
    if refs is not None:
        with open(osp.join(refer, f'refs({split_by}).p'), 'wb') as f:
            pickle.dump(refs, f)


def _victim(root, shared=False):
    """A ref, its image file name and the refs of that image and split;
    with ``shared`` one whose image holds several refs, one of them with
    several sentences."""
    instances, refs = _raw(root)

    def same_image(ref):
        return [
            r for r in refs
            if r['image_id'] == ref['image_id'] and r['split'] == ref['split']
        ]

    victim = next(
        r for r in refs if not shared or (len(same_image(r)) > 1 and any(
            len(o['sentences']) > 1 for o in same_image(r))))
    name = instances['images'][victim['image_id'] - 1]['file_name']
    return victim, name, same_image(victim)


def _truncate(path, keep=0.6):
    """Cut a file (a JPEG: mid-scan) to ``keep`` of its bytes."""
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


def test_missing_image(synthetic_raw, tmp_path):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    victim, name, _ = _victim(root)
    os.remove(osp.join(root, 'train2014', name))
    with pytest.raises(FileNotFoundError) as err:
        _import(root, str(tmp_path / 'out'), splits=[victim['split']])
    assert name in str(err.value)
    assert f'ref_id={victim["ref_id"]}' in str(err.value)
    # An unreadable (non-image) file is reported the same way.
    with open(osp.join(root, 'train2014', name), 'w') as f:
        f.write('not an image')
    with pytest.raises(OSError, match='not a readable image'):
        _import(root, str(tmp_path / 'out'), splits=[victim['split']])


def test_truncated_image_fails_naming_file_and_record(synthetic_raw, tmp_path,
                                                      out_dir, snapshot):
    """Magic bytes, the header and PIL's verify() all pass a JPEG cut
    mid-scan; the importer decodes it."""
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    victim, name, _ = _victim(root)
    _truncate(osp.join(root, 'train2014', name))
    before = snapshot(out_dir)
    with pytest.raises(OSError, match='truncated') as err:
        _import(root, out_dir, splits=[victim['split']])
    assert name in str(err.value)
    assert f'ref_id={victim["ref_id"]}' in str(err.value)
    assert '--skip-bad-images' in str(err.value)
    assert snapshot(out_dir) == before


def test_image_of_another_size_fails(synthetic_raw, tmp_path, out_dir,
                                     snapshot):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    instances, _ = _raw(root)
    victim, name, _ = _victim(root)
    image = instances['images'][victim['image_id'] - 1]
    image['width'] += 1
    _write_raw(root, instances=instances)
    before = snapshot(out_dir)
    with pytest.raises(OSError) as err:
        _import(root, out_dir, splits=[victim['split']])
    assert name in str(err.value)
    assert f'ref_id={victim["ref_id"]}' in str(err.value)
    assert (f'is {image["width"] - 1}x{image["height"]} (width x height) '
            f'but the annotation says {image["width"]}x{image["height"]}'
            in str(err.value))
    assert snapshot(out_dir) == before


def test_skip_bad_images_counts_expressions(synthetic_raw, tmp_path, capsys,
                                            data_tool):
    """Several refs (one with several sentences) share a truncated image:
    the skip counter counts their expressions, not the refs."""
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    victim, name, shared = _victim(root, shared=True)
    _truncate(osp.join(root, 'train2014', name))
    num_expressions = sum(len(r['sentences']) for r in shared)
    assert num_expressions > len(shared)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = data_tool('import_refer').main([
            '--refer-dir',
            osp.join(root,
                     'refcoco'), '--dataset', 'refcoco', '--split-by', 'unc',
            '--data-root', root, '--image-dir', 'train2014', '--out-dir',
            str(tmp_path / 'out'), '--splits', victim['split'],
            '--skip-bad-images'
        ])
    split = victim['split']
    assert result['summary'].counts[split]['skipped_bad_image'] == \
        num_expressions
    printed = capsys.readouterr().out
    assert (f'{split}: skipped {num_expressions} expressions '
            f'({len(shared)} refs) whose image is missing or unreadable: '
            '1 image file,') in printed
    assert f'train2014/{name} is truncated' in printed
    assert 'skipped_bad_image: expressions skipped' in printed
    _, records = load_canonical(result['paths'][0])
    assert not {r['ref_id'] for r in records} & {r['ref_id'] for r in shared}
    _, all_refs = _raw(root)
    assert len(records) + num_expressions == sum(
        len(r['sentences']) for r in all_refs if r['split'] == split)


@pytest.mark.parametrize('key', ['ann_id', 'image_id'])
def test_ref_id_missing_from_instances(key, synthetic_raw, tmp_path, out_dir,
                                       snapshot):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    _, refs = _raw(root)
    refs[3][key] = 999
    _write_raw(root, refs=refs)
    before = snapshot(out_dir)
    with pytest.raises(ValueError) as err:
        _import(root, out_dir)
    refer = osp.join(root, 'refcoco')
    assert str(err.value).startswith(
        f'{refer}/refs(unc).p: ref_id {refs[3]["ref_id"]} refers to {key} '
        f'999, which {refer}/instances.json does not contain.')
    assert snapshot(out_dir) == before


def test_ann_of_another_image(synthetic_raw, tmp_path, out_dir, snapshot):
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    _, refs = _raw(root)
    ref, other = refs[0], next(r for r in refs
                               if r['image_id'] != refs[0]['image_id'])
    ref['ann_id'] = other['ann_id']
    _write_raw(root, refs=refs)
    before = snapshot(out_dir)
    with pytest.raises(ValueError) as err:
        _import(root, out_dir)
    assert (f'ref_id {ref["ref_id"]} is on image_id {ref["image_id"]}, but '
            f'its ann_id {other["ann_id"]} is on image_id '
            f'{other["image_id"]}') in str(err.value)
    assert 'instances.json' in str(err.value)
    assert snapshot(out_dir) == before


def test_unknown_split_by_lists_known(synthetic_raw, tmp_path, out_dir,
                                      snapshot):
    """A refs file of an unknown scheme is not imported as if it were
    one, even when it exists."""
    root = _copy(synthetic_raw[0], str(tmp_path / 'raw'))
    _, refs = _raw(root)
    _write_raw(root, refs=refs, split_by='umd')
    before = snapshot(out_dir)
    with pytest.raises(
            ValueError,
            match=r"Unknown --split-by 'umd' for refcoco; the known split "
            r"schemes are \['unc', 'google'\]"):
        _import(root, out_dir, split_by='umd')
    assert snapshot(out_dir) == before


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
