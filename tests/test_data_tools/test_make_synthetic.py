# Copyright (c) mmvg contributors. All rights reserved.
import hashlib
import json
import os.path as osp
import pickle


def _digest(root):
    files = [
        'refcoco/instances.json', 'refcoco/refs(unc).p',
        'grefcoco/grefs(unc).json', 'train2014/COCO_train2014_000000000007.jpg'
    ]
    return [
        hashlib.sha256(open(osp.join(root, f), 'rb').read()).hexdigest()
        for f in files
    ]


def test_deterministic_by_seed(tmp_path, synthetic_raw, data_tool):
    gen = data_tool('make_synthetic')
    gen.generate(str(tmp_path / 'a'), num_images=40, seed=1, grefcoco=True)
    gen.generate(str(tmp_path / 'b'), num_images=40, seed=2, grefcoco=True)
    assert _digest(str(tmp_path / 'a')) == _digest(synthetic_raw[0])
    assert _digest(str(tmp_path / 'b')) != _digest(synthetic_raw[0])


def test_content(synthetic_raw):
    root, counts = synthetic_raw
    instances = json.load(open(osp.join(root, 'refcoco/instances.json')))
    with open(osp.join(root, 'refcoco/refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    assert counts['images'] == len(instances['images']) == 40
    per_image = {}
    for ann in instances['annotations']:
        per_image[ann['image_id']] = per_image.get(ann['image_id'], 0) + 1
        x, y, w, h = ann['bbox']
        assert w > 0 and h > 0 and ann['segmentation']
    assert set(per_image.values()) <= set(range(2, 7))
    assert {r['split'] for r in refs} == {'train', 'val', 'testA', 'testB'}
    texts = [s['sent'] for r in refs for s in r['sentences']]
    assert any(' left of ' in t or ' right of ' in t for t in texts)
    sent_ids = [s['sent_id'] for r in refs for s in r['sentences']]
    assert len(sent_ids) == len(set(sent_ids))
    for r in refs:
        assert r['file_name'].endswith(f'_{r["ann_id"]}.jpg')
    grefs = json.load(open(osp.join(root, 'grefcoco/grefs(unc).json')))
    assert any(g['no_target'] and g['ann_id'] == [-1] for g in grefs)
    assert any(len(g['ann_id']) > 1 for g in grefs)


def test_refer_files_independent_of_grefcoco(tmp_path, synthetic_raw,
                                             data_tool):
    data_tool('make_synthetic').generate(
        str(tmp_path), num_images=40, seed=1, grefcoco=False)
    a = open(osp.join(synthetic_raw[0], 'refcoco/refs(unc).p'), 'rb').read()
    b = open(osp.join(str(tmp_path), 'refcoco/refs(unc).p'), 'rb').read()
    assert a == b
