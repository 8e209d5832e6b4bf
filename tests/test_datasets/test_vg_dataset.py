# Copyright (c) mmvg contributors. All rights reserved.
import json
import os.path as osp
import pickle
import warnings

import numpy as np
import pytest

from mmvg.datasets import VGDataset, dump_canonical, load_canonical
from mmvg.registry import DATASETS
from mmvg.utils import register_all_modules

register_all_modules()


def _dataset(root, ann_dir, split='val', **kwargs):
    return VGDataset(
        data_root=root,
        ann_file=osp.join(ann_dir, f'refcoco_unc_{split}.json'),
        **kwargs)


def _sentences(root, split):
    with open(osp.join(root, 'refcoco/refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    return [(r, s) for r in refs if r['split'] == split
            for s in r['sentences']]


def test_eval_every_expression_once(synthetic_canonical):
    root, ann_dir = synthetic_canonical
    for sampling in ('expression', 'ref'):
        ds = _dataset(root, ann_dir, test_mode=True, sampling=sampling)
        sents = _sentences(root, 'val')
        assert len(ds) == len(sents)
        got = [ds.get_data_info(i)['sent_id'] for i in range(len(ds))]
        assert got == [s['sent_id'] for _, s in sents]  # file order
        assert ds.metainfo['dataset'] == 'refcoco'
        assert ds.metainfo['split'] == 'val'


def test_per_ref_sampling(synthetic_canonical):
    root, ann_dir = synthetic_canonical
    ds = _dataset(root, ann_dir, split='train', sampling='ref')
    sents = _sentences(root, 'train')
    refs = {r['ref_id']: r for r, _ in sents}
    assert len(ds) == len(refs)
    np.random.seed(0)
    multi = next(
        i for i in range(len(ds))
        if len(refs[ds.get_data_info(i)['ref_id']]['sentences']) > 1)
    seen = set()
    for _ in range(30):
        info = ds.get_data_info(multi)
        ref = refs[info['ref_id']]
        assert info['text'] in [s['sent'] for s in ref['sentences']]
        assert 'expressions' not in info
        seen.add(info['sent_id'])
    assert len(seen) > 1
    per_expr = _dataset(root, ann_dir, split='train')
    assert len(per_expr) == len(sents)


def test_serialized_and_lazy(synthetic_canonical):
    root, ann_dir = synthetic_canonical
    ds = _dataset(root, ann_dir, lazy_init=True)
    assert not ds._fully_initialized
    ds.full_init()
    assert ds.data_bytes.dtype == np.uint8 and not ds.data_list
    info = ds.get_data_info(0)
    assert info['img_path'].startswith(root)
    assert np.asarray(info['bboxes']).shape[1] == 4


def test_paths_fail_early(synthetic_canonical, tmp_path):
    root, ann_dir = synthetic_canonical
    missing_root = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match=missing_root):
        VGDataset(data_root=missing_root, ann_file='a.json', lazy_init=True)
    with pytest.raises(FileNotFoundError, match='refcoco_unc_nope.json'):
        _dataset(root, ann_dir, split='nope', lazy_init=True)
    with pytest.raises(FileNotFoundError, match='no_images'):
        _dataset(
            root, ann_dir, data_prefix=dict(img='no_images'), lazy_init=True)


def test_corrupt_files(synthetic_canonical, tmp_path):
    root, ann_dir = synthetic_canonical
    text = open(osp.join(ann_dir, 'refcoco_unc_val.json')).read()
    bad = tmp_path / 'truncated.json'
    bad.write_text(text[:len(text) // 2])
    ds = VGDataset(data_root=root, ann_file=str(bad), lazy_init=True)
    with pytest.raises(ValueError, match='truncated.json'):
        ds.full_init()
    obj = json.loads(text)
    del obj['data_list'][3]['bboxes']
    # As another tool writes it: without the count and hash.
    for key in ('num_records', 'records_sha256'):
        obj['metainfo'].pop(key, None)
    sent_id = obj['data_list'][3]['sent_id']
    (tmp_path / 'nokey.json').write_text(json.dumps(obj))
    with pytest.raises(ValueError, match=f'record 3 \\(sent_id={sent_id}'):
        VGDataset(data_root=root, ann_file=str(tmp_path / 'nokey.json'))
    (tmp_path / 'list.json').write_text('[]')
    with pytest.raises(ValueError, match='list.json'):
        load_canonical(str(tmp_path / 'list.json'))
    lines = tmp_path / 'a.jsonl'
    lines.write_text('{"metainfo": {}}\n{"img_path": "x", "hei')
    with pytest.raises(ValueError, match='a.jsonl: line 2'):
        load_canonical(str(lines))


def test_jsonl_and_no_target_filter(synthetic_canonical, tmp_path):
    root, ann_dir = synthetic_canonical
    metainfo, records = load_canonical(
        osp.join(ann_dir, 'refcoco_unc_val.json'))
    records[0] = dict(records[0], bboxes=[], mask=None, no_target=True)
    path = str(tmp_path / 'val.jsonl')
    dump_canonical(path, metainfo, records)
    ds = VGDataset(data_root=root, ann_file=path)
    assert len(ds) == len(records)
    assert ds.get_data_info(0)['no_target']
    ds = VGDataset(
        data_root=root, ann_file=path, filter_cfg=dict(filter_no_target=True))
    assert len(ds) == len(records) - 1


def test_jsonl_streamed(synthetic_canonical, tmp_path):
    root, ann_dir = synthetic_canonical
    metainfo, records = load_canonical(
        osp.join(ann_dir, 'refcoco_unc_val.json'))
    path = str(tmp_path / 'val.jsonl')
    dump_canonical(path, metainfo, records)
    ds = VGDataset(data_root=root, ann_file=path, test_mode=True)
    assert ds._streams_lines and len(ds) == len(records)
    assert ds.metainfo['split'] == 'val'
    for idx in (0, len(ds) - 1, -1):
        info = ds.get_data_info(idx)
        assert info['sent_id'] == records[idx]['sent_id']
        assert info['img_path'] == osp.join(root, records[idx]['img_path'])
    subset = VGDataset(
        data_root=root, ann_file=path, test_mode=True, indices=[2, 5])
    assert [subset.get_data_info(i)['sent_id'] for i in range(2)
            ] == [records[2]['sent_id'], records[5]['sent_id']]
    # A truncated file fails when the dataset is built, naming the file.
    text = open(path).read()
    (tmp_path / 'cut.jsonl').write_text(text[:-20])
    with pytest.raises(ValueError, match='cut.jsonl'):
        VGDataset(data_root=root, ann_file=str(tmp_path / 'cut.jsonl'))


@pytest.mark.parametrize('name', [
    'RefCOCODataset', 'RefCOCOPlusDataset', 'RefCOCOgDataset',
    'ReferItDataset', 'Flickr30kEntitiesDataset', 'GRefCOCODataset',
    'MixedPretrainDataset'
])
def test_named_datasets(name, synthetic_canonical):
    root, ann_dir = synthetic_canonical
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ds = DATASETS.build(
            dict(
                type=name,
                data_root=root,
                ann_file=osp.join(ann_dir, 'refcoco_unc_val.json'),
                test_mode=True))
    assert isinstance(ds, VGDataset) and len(ds) > 0
    # The file's dataset name is reported; another class's name warns.
    assert ds.metainfo['dataset'] == 'refcoco'
    assert ds.metainfo['split_by'] == 'unc'
    mismatch = [str(w.message) for w in caught if name in str(w.message)]
    assert len(mismatch) == (name != 'RefCOCODataset')


def test_bad_sampling():
    with pytest.raises(ValueError, match='sampling'):
        VGDataset(ann_file='x.json', sampling='image')


def test_ori_text_reaches_the_sample_and_the_dump(synthetic_canonical,
                                                  tmp_path):
    """The dataset keeps the record's expression as ``ori_text``; the
    pipeline cleans and flips only ``text``; dumps show ``ori_text``."""
    import torch
    from mmengine.structures import InstanceData

    from mmvg.evaluation.metrics import DumpGroundingResults
    root, ann_dir = synthetic_canonical
    ds = _dataset(
        root,
        ann_dir,
        split='train',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVGAnnotations'),
            dict(type='CleanText'),
            dict(type='RandomFlipVG', prob=1.0),
            dict(type='PackVGInputs')
        ])
    index = next(
        i for i in range(len(ds)) if ' left' in ds.get_data_info(i)['text'])
    record = ds.get_data_info(index)
    assert record['ori_text'] == record['text']
    sample = ds[index]['data_samples']
    assert sample.ori_text == record['text']
    assert sample.text == record['text'].replace(' left', ' right')
    assert 'tokens' not in sample
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor(sample.ori_gt_bboxes[:1]), scores=torch.ones(1))
    out = tmp_path / 'dump.jsonl'
    metric = DumpGroundingResults(out_file_path=str(out))
    metric.process(None, [sample.to_dict()])
    metric.evaluate(1)
    line = json.loads(out.read_text())
    assert line['text'] == record['text'] and line['correct'] is True
