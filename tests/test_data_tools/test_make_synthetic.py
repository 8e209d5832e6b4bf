# Copyright (c) mmvg contributors. All rights reserved.
import hashlib
import json
import os
import os.path as osp
import pickle
import warnings

from mmvg.datasets.importers.synthetic import prepare_synthetic


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


def _tree(root):
    """{relative path: bytes} of every file under ``root``."""
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = osp.join(directory, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


def test_prepare_equals_the_manual_steps(tmp_path, data_tool, capsys):
    """``--prepare`` writes what make_synthetic, import_refer,
    build_vocab and import_proposals write by hand, byte for byte, and
    only once."""
    prepared = str(tmp_path / 'prepared')
    tool = data_tool('make_synthetic')
    tool.main(['--out-dir', prepared, '--num-images', '24', '--prepare'])
    by_hand = str(tmp_path / 'by_hand')
    tool.main(['--out-dir', by_hand, '--num-images', '24'])
    ann_dir = osp.join(by_hand, 'annotations')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        data_tool('import_refer').main([
            '--refer-dir',
            osp.join(by_hand, 'refcoco'), '--dataset', 'synthetic',
            '--split-by', 'unc', '--data-root', by_hand, '--image-dir',
            'train2014', '--out-dir', ann_dir
        ])
    data_tool('build_vocab').main([
        osp.join(ann_dir, 'synthetic_unc_train.json'), '--out',
        osp.join(ann_dir, 'vocab.json'), '--spm-out',
        osp.join(ann_dir, 'synthetic.spm')
    ])
    for name, source, extra in (('dets', 'synthetic_dets.json', []),
                                ('gt', 'instances.json', ['--ground-truth'])):
        data_tool('import_proposals').main([
            '--dets',
            osp.join(by_hand, 'refcoco', source), '--name',
            f'synthetic_{name}', '--out',
            osp.join(ann_dir, f'synthetic_proposals_{name}.json')
        ] + extra)
    prepared_files = _tree(prepared)
    assert 'annotations/vocab.json' in prepared_files
    assert 'annotations/synthetic.spm' in prepared_files
    assert 'annotations/synthetic_unc_testB.json' in prepared_files
    assert 'annotations/synthetic_proposals_dets.json' in prepared_files
    assert prepared_files == _tree(by_hand)
    capsys.readouterr()
    tool.main(['--out-dir', prepared, '--num-images', '24', '--prepare'])
    assert 'already complete' in capsys.readouterr().out
    # A missing step is redone alone; the gRefCOCO variant is added.
    os.remove(osp.join(prepared, 'annotations', 'vocab.json'))
    assert prepare_synthetic(prepared, num_images=24, grefcoco=True)
    assert _tree(prepared).items() >= prepared_files.items()
    assert osp.isfile(osp.join(prepared, 'grefcoco', 'grefs(unc).json'))


def test_dataset_writes_through_the_data_tool_function(tmp_path, data_tool):
    """SyntheticDataset writes on first use what ``--prepare`` writes; the
    generator lives with the importers, not in the dataset module."""
    import mmvg.datasets.synthetic as dataset_module
    from mmvg.datasets import SyntheticDataset
    assert not hasattr(dataset_module, 'generate')
    assert dataset_module.prepare_synthetic is prepare_synthetic
    first_use = str(tmp_path / 'first_use')
    dataset = SyntheticDataset(
        data_root=first_use,
        ann_file='annotations/synthetic_unc_val.json',
        num_images=24,
        seed=1,
        test_mode=True,
        pipeline=[])
    assert len(dataset) > 0
    prepared = str(tmp_path / 'prepared')
    data_tool('make_synthetic').main([
        '--out-dir', prepared, '--num-images', '24', '--seed', '1', '--prepare'
    ])
    assert _tree(first_use) == _tree(prepared)


def test_dataset_writes_the_grefcoco_variant(tmp_path, data_tool):
    """``SyntheticDataset(grefcoco=True)`` also imports the gRefCOCO-style
    refs (what import_grefcoco writes, as dataset ``synthetic``); its
    records hold multi-target and no-target expressions."""
    from mmvg.datasets import SyntheticDataset
    root = str(tmp_path / 'root')
    dataset = SyntheticDataset(
        data_root=root,
        ann_file='annotations/grefcoco/synthetic_unc_val.json',
        num_images=24,
        grefcoco=True,
        test_mode=True,
        pipeline=[])
    records = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert any(r['no_target'] for r in records)
    assert any(len(r['bboxes']) > 1 for r in records)
    assert dataset.metainfo['dataset'] == 'synthetic'
    by_hand = str(tmp_path / 'by_hand')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        data_tool('import_grefcoco').main([
            '--grefcoco-dir',
            osp.join(root, 'grefcoco'), '--data-root', root, '--image-dir',
            'train2014', '--out-dir', by_hand
        ])
    with open(osp.join(by_hand, 'grefcoco_unc_val.json')) as f:
        imported = json.load(f)
    with open(
            osp.join(root, 'annotations', 'grefcoco',
                     'synthetic_unc_val.json')) as f:
        written = json.load(f)
    assert imported['data_list'] == written['data_list']


def test_build_vocab(synthetic_raw, tmp_path, data_tool, capsys):
    ann_dir = str(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        data_tool('import_refer').main([
            '--refer-dir',
            osp.join(synthetic_raw[0], 'refcoco'), '--dataset', 'synthetic',
            '--split-by', 'unc', '--data-root', synthetic_raw[0],
            '--image-dir', 'train2014', '--out-dir', ann_dir
        ])
    out = osp.join(ann_dir, 'vocab.json')
    data_tool('build_vocab').main(
        [osp.join(ann_dir, 'synthetic_unc_train.json'), '--out', out])
    assert 'words from' in capsys.readouterr().out
    vocab = json.load(open(out))
    assert (vocab['PAD'], vocab['UNK'], vocab['CLS']) == (0, 1, 2)
    assert sorted(vocab.values()) == list(range(len(vocab)))
    assert 'red' in vocab and 'the' in vocab
    data_tool('build_vocab').main(
        [osp.join(ann_dir, 'synthetic_unc_val.json'), '--out', out])
    assert "is split 'val', not train" in capsys.readouterr().out
