# Copyright (c) mmvg contributors. All rights reserved.
import json
import os
import os.path as osp
import pickle
import warnings

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from mmvg.datasets.canonical import dump_canonical, load_canonical


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        # Fixture counts differ from the published ones.
        warnings.simplefilter('ignore')
        yield


def _image(path, h=50, w=80):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.zeros((h, w, 3), np.uint8))


def _records(result):
    return {osp.basename(p): load_canonical(p)[1] for p in result['paths']}


def _help(tool, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args(['--help'])
    return capsys.readouterr().out


def test_grefcoco(synthetic_raw, tmp_path, data_tool, capsys):
    root, _ = synthetic_raw
    tool = data_tool('import_grefcoco')
    assert '--skip-bad-images' in _help(tool, capsys)
    result = tool.main([
        '--grefcoco-dir',
        osp.join(root, 'grefcoco'), '--data-root', root, '--image-dir',
        'train2014', '--out-dir',
        str(tmp_path), '--splits', 'val'
    ])
    grefs = json.load(open(osp.join(root, 'grefcoco/grefs(unc).json')))
    grefs = [g for g in grefs if g['split'] == 'val']
    records = _records(result)['grefcoco_unc_val.json']
    assert len(records) == sum(len(g['sentences']) for g in grefs)
    no_target = [r for r in records if r['no_target']]
    multi = [r for r in records if len(r['bboxes']) > 1]
    assert no_target and multi
    assert all(r['bboxes'] == [] for r in no_target)
    assert mask_utils.area(no_target[0]['mask']) == 0
    counts = result['summary'].counts['val']
    assert counts['no_target'] == len(no_target)
    # A multi-target mask is the union of the objects' masks.
    instances = json.load(open(osp.join(root, 'grefcoco/instances.json')))
    anns = {a['id']: a for a in instances['annotations']}
    rec = multi[0]
    union = np.zeros((rec['height'], rec['width']), bool)
    for ann_id in rec['ann_ids']:
        polys = mask_utils.frPyObjects(anns[ann_id]['segmentation'],
                                       rec['height'], rec['width'])
        union |= mask_utils.decode(polys).max(axis=2).astype(bool)
    np.testing.assert_array_equal(mask_utils.decode(rec['mask']), union)


def _flickr_fixture(root):
    fdir = osp.join(root, 'entities')
    os.makedirs(osp.join(fdir, 'Sentences'))
    os.makedirs(osp.join(fdir, 'Annotations'))
    sentences = [
        '[/EN#1/people A man] holds [/EN#2/other two cups] in '
        '[/EN#3/scene a park] .', '[/EN#1/people Someone] is outside .'
    ]
    with open(osp.join(fdir, 'Sentences', '100.txt'), 'w') as f:
        f.write('\n'.join(sentences) + '\n')
    xml = ('<annotation><size><width>80</width><height>50</height>'
           '<depth>3</depth></size>'
           '<object><name>1</name><bndbox><xmin>1</xmin><ymin>2</ymin>'
           '<xmax>30</xmax><ymax>40</ymax></bndbox></object>'
           '<object><name>2</name><bndbox><xmin>40</xmin><ymin>5</ymin>'
           '<xmax>50</xmax><ymax>15</ymax></bndbox></object>'
           '<object><name>2</name><bndbox><xmin>55</xmin><ymin>10</ymin>'
           '<xmax>70</xmax><ymax>90</ymax></bndbox></object>'
           '<object><name>3</name><nobndbox>1</nobndbox><scene>1</scene>'
           '</object></annotation>')
    with open(osp.join(fdir, 'Annotations', '100.xml'), 'w') as f:
        f.write(xml)
    for split, ids in (('train', ['100']), ('val', []), ('test', [])):
        with open(osp.join(fdir, f'{split}.txt'), 'w') as f:
            f.write('\n'.join(ids))
    _image(osp.join(root, 'images', '100.jpg'))
    return fdir


def test_flickr30k(tmp_path, data_tool, capsys):
    fdir = _flickr_fixture(str(tmp_path))
    tool = data_tool('import_flickr30k')
    assert 'corner' in _help(tool, capsys)
    common = [
        '--flickr-dir', fdir, '--data-root',
        str(tmp_path), '--image-dir', 'images', '--out-dir',
        str(tmp_path / 'out')
    ]
    result = tool.main(common)
    recs = _records(result)['flickr30k_entities_train.json']
    assert [r['text'] for r in recs] == ['A man', 'two cups', 'Someone']
    assert recs[0]['bboxes'] == [[1.0, 2.0, 30.0, 40.0]]
    # Merged box of both cups; the second one is clipped to the image.
    assert recs[1]['bboxes'] == [[40.0, 5.0, 70.0, 50.0]]
    assert recs[0]['ref_id'] == recs[2]['ref_id'] == 1
    counts = result['summary'].counts['train']
    assert counts['phrases_without_box'] == 1
    assert counts['clipped_boxes'] == 1
    result = tool.main(common + ['--mode', 'phrase'])
    recs = _records(result)['flickr30k_phrase_train.json']
    assert len(recs) == 2
    text = recs[0]['text']
    assert text == 'A man holds two cups in a park .'
    phrases = recs[0]['phrases']
    assert [text[p['start']:p['end']]
            for p in phrases] == ['A man', 'two cups']
    assert len(phrases[1]['bboxes']) == 2 and len(recs[0]['bboxes']) == 3
    with pytest.raises(ValueError, match=r"valid splits are \['train'"):
        tool.main(common + ['--splits', 'testA'])


def test_visual_genome_and_merge(tmp_path, data_tool, capsys):
    vg = tmp_path / 'vg'
    vg.mkdir()
    images = [
        dict(
            image_id=1,
            width=80,
            height=50,
            coco_id=None,
            url='http://x/VG_100K/1.jpg'),
        dict(
            image_id=2,
            width=80,
            height=50,
            coco_id=7,
            url='http://x/VG_100K_2/2.jpg')
    ]
    regions = [
        dict(
            id=i['image_id'],
            regions=[
                dict(
                    region_id=10 * i['image_id'] + k,
                    image_id=i['image_id'],
                    phrase=f'thing {k}',
                    x=5,
                    y=5,
                    width=10 - 10 * (k == 2),
                    height=10) for k in range(3)
            ]) for i in images
    ]
    (vg / 'image_data.json').write_text(json.dumps(images))
    (vg / 'region_descriptions.json').write_text(json.dumps(regions))
    tool = data_tool('import_visual_genome')
    _help(tool, capsys)
    result = tool.main([
        '--vg-dir',
        str(vg), '--no-image-check', '--image-dir', 'vg', '--out-dir',
        str(tmp_path)
    ])
    recs = _records(result)['visual_genome_regions_train.jsonl']
    assert len(recs) == 4  # zero-width regions dropped
    assert result['summary'].counts['train']['dropped_boxes'] == 2
    assert recs[0]['img_path'] == 'vg/VG_100K/1.jpg'
    assert recs[2]['coco_id'] == 7

    def canonical(name, dataset, split, image_ids):
        path = str(tmp_path / name)
        base = dict(
            img_path='a.jpg',
            height=5,
            width=5,
            ref_id=0,
            text='x',
            bboxes=[[0, 0, 1, 1]],
            no_target=False)
        dump_canonical(path, dict(dataset=dataset, split=split), [
            dict(base, image_id=i, sent_id=k) for k, i in enumerate(image_ids)
        ])
        return path

    train = canonical('rc_train.json', 'refcoco', 'train', [7, 8, 9])
    flickr = canonical('fl_train.json', 'flickr30k', 'train', [7])
    val = canonical('rc_val.json', 'refcocog', 'val', [7, 9])
    merge = data_tool('merge_pretrain')
    out = str(tmp_path / 'mixed.jsonl')
    stats = merge.main([
        '--train', train, flickr, result['paths'][0], '--held-out', val,
        '--out', out
    ])
    assert stats['removed'] == {'refcoco': 2, 'visual_genome': 2}
    metainfo, recs = load_canonical(out)
    assert metainfo['dataset'] == 'mixed_pretrain'
    assert len(recs) == 1 + 1 + 2
    assert {r['source']
            for r in recs} == {'refcoco', 'flickr30k', 'visual_genome'}
    with pytest.raises(ValueError, match='train split'):
        merge.main(['--train', train, '--held-out', train, '--out', out])


def test_simrec(synthetic_raw, tmp_path, data_tool, capsys):
    root, _ = synthetic_raw
    with open(osp.join(root, 'refcoco/refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    instances = json.load(open(osp.join(root, 'refcoco/instances.json')))
    anns = {a['id']: a for a in instances['annotations']}
    masks = tmp_path / 'masks'
    masks.mkdir()
    simrec = {'train': [], 'val': []}
    for ref in refs[:6]:
        ann = anns[ref['ann_id']]
        image = instances['images'][ref['image_id'] - 1]
        polys = mask_utils.frPyObjects(ann['segmentation'], image['height'],
                                       image['width'])
        np.save(masks / f'{ref["ref_id"]}.npy',
                mask_utils.decode(polys).max(axis=2))
        entry = dict(
            iid=ref['image_id'],
            bbox=ann['bbox'],
            cat_id=0,
            mask_id=ref['ref_id'])
        sents = [s['sent'] for s in ref['sentences']]
        simrec['train'].append(dict(entry, refs=sents))
        simrec['val'] += [dict(entry, refs=[s]) for s in sents]
    path = tmp_path / 'refcoco.json'
    path.write_text(json.dumps(simrec))
    tool = data_tool('import_simrec')
    _help(tool, capsys)
    result = tool.main([
        '--anns',
        str(path), '--masks-dir',
        str(masks), '--dataset', 'refcoco', '--data-root', root, '--image-dir',
        'train2014', '--out-dir',
        str(tmp_path / 'out')
    ])
    recs = _records(result)
    n = sum(len(r['sentences']) for r in refs[:6])
    assert len(recs['refcoco_unc_train.json']) == n
    assert len(recs['refcoco_unc_val.json']) == n
    rec = recs['refcoco_unc_val.json'][0]
    x, y, w, h = anns[refs[0]['ann_id']]['bbox']
    assert rec['bboxes'] == [[x, y, x + w, y + h]]
    assert (rec['height'],
            rec['width']) == (instances['images'][refs[0]['image_id'] -
                                                  1]['height'],
                              instances['images'][refs[0]['image_id'] -
                                                  1]['width'])
    assert mask_utils.area(rec['mask']) == np.load(
        masks / f'{refs[0]["ref_id"]}.npy').sum()


def test_seqtr(tmp_path, data_tool, capsys):
    _image(str(tmp_path / 'coco' / 'COCO_train2014_000000000005.jpg'))
    poly = [[10, 10, 30, 10, 30, 30, 10, 30]]
    data = {
        'val': [
            dict(
                image_id=5,
                bbox=[10, 10, 20, 20],
                expressions=['a', 'b'],
                mask=poly,
                height=50,
                width=80,
                category_id=3)
        ],
        'testA': [
            dict(
                image_id=5,
                bbox=[[[1, 1, 4, 4], [10, 10, 5, 5]], [[0, 0, 0, 0]]],
                expressions=['both', 'nothing'])
        ]
    }
    path = tmp_path / 'instances.json'
    path.write_text(json.dumps(data))
    tool = data_tool('import_seqtr')
    _help(tool, capsys)
    result = tool.main([
        '--instances',
        str(path), '--dataset', 'refcoco', '--data-root',
        str(tmp_path), '--image-dir', 'coco', '--out-dir',
        str(tmp_path / 'out')
    ])
    recs = _records(result)
    val = recs['refcoco_unc_val.json']
    assert [r['text'] for r in val] == ['a', 'b']
    assert val[0]['bboxes'] == [[10.0, 10.0, 30.0, 30.0]]
    assert mask_utils.area(val[0]['mask']) == 400
    test = recs['refcoco_unc_testA.json']
    assert len(test[0]['bboxes']) == 2 and test[1]['no_target']
    assert (test[0]['height'], test[0]['width']) == (50, 80)


# RefCOCO-family boxes are xywh, ReferIt and Flickr boxes corners.
@pytest.mark.parametrize('dataset,entry,expected', [
    ('refcoco', ('COCO_train2014_000000000005.jpg', 3, [10, 10, 20, 5],
                 'the cup', []), [10.0, 10.0, 30.0, 15.0]),
    ('referit', ('5.jpg', '5_1.pth', [10, 10, 20, 15], 'the cup', []),
     [10.0, 10.0, 20.0, 15.0]),
    ('flickr',
     ('5.jpg', [10, 10, 20, 12], 'the cup'), [10.0, 10.0, 20.0, 12.0]),
])
def test_resc(dataset, entry, expected, tmp_path, data_tool, capsys):
    _image(str(tmp_path / 'img' / entry[0]))
    path = str(tmp_path / 'split.pth')
    torch.save([entry, entry], path)
    tool = data_tool('import_resc')
    assert 'weights_only' in _help(tool, capsys)
    result = tool.main([
        '--pth', path, '--dataset', dataset, '--split', 'val', '--data-root',
        str(tmp_path), '--image-dir', 'img', '--out-dir',
        str(tmp_path / 'out')
    ])
    recs = list(_records(result).values())[0]
    assert len(recs) == 2 and recs[0]['ref_id'] == recs[1]['ref_id']
    assert recs[0]['bboxes'] == [expected]
    assert recs[0]['image_id'] == 5
    assert recs[0]['sent_id'] != recs[1]['sent_id']


def test_mdetr(tmp_path, data_tool, capsys):
    caption = 'a man holds two cups'
    coco = dict(
        images=[
            dict(
                id=0,
                file_name='COCO_train2014_000000000005.jpg',
                height=50,
                width=80,
                caption=caption,
                original_id=5,
                dataset_name='refcoco'),
            dict(
                id=1,
                file_name='COCO_train2014_000000000005.jpg',
                height=50,
                width=80,
                caption='',
                original_id=5,
                dataset_name='refcoco')
        ],
        annotations=[
            dict(
                id=0,
                image_id=0,
                bbox=[1, 2, 10, 10],
                tokens_positive=[[0, 5]]),
            dict(
                id=1,
                image_id=0,
                bbox=[20, 20, 5, 5],
                tokens_positive=[[12, 20]]),
            dict(
                id=2,
                image_id=1,
                bbox=[20, 20, 5, 5],
                tokens_positive=[[0, 0]])
        ])
    path = tmp_path / 'final_refcoco_val.json'
    path.write_text(json.dumps(coco))
    tool = data_tool('import_mdetr')
    _help(tool, capsys)
    result = tool.main([
        '--json',
        str(path), '--split', 'val', '--no-image-check', '--out-dir',
        str(tmp_path / 'out')
    ])
    recs = _records(result)['refcoco_unc_val.json']
    assert len(recs) == 1  # the empty caption is dropped
    assert result['summary'].counts['val']['dropped_empty_text'] == 1
    assert recs[0]['bboxes'] == [[1.0, 2.0, 11.0, 12.0],
                                 [20.0, 20.0, 25.0, 25.0]]
    assert [p['text'] for p in recs[0]['phrases']] == ['a man', 'two cups']
    assert recs[0]['image_id'] == 5


def test_grefcoco_ann_id_missing_from_instances(synthetic_raw, tmp_path,
                                                data_tool, out_dir, snapshot):
    src = tmp_path / 'grefcoco'
    src.mkdir()
    root = synthetic_raw[0]
    grefs = json.load(open(osp.join(root, 'grefcoco/grefs(unc).json')))
    multi = next(g for g in grefs if len(g['ann_id']) > 1)
    multi['ann_id'][1] = 999
    (src / 'grefs(unc).json').write_text(json.dumps(grefs))
    (src / 'instances.json').write_text(
        open(osp.join(root, 'grefcoco/instances.json')).read())
    before = snapshot(out_dir)
    with pytest.raises(ValueError) as err:
        data_tool('import_grefcoco').main([
            '--grefcoco-dir',
            str(src), '--no-image-check', '--out-dir', out_dir
        ])
    assert str(err.value).startswith(
        f'{src}/grefs(unc).json: ref_id {multi["ref_id"]} refers to ann_id '
        f'999, which {src}/instances.json does not contain.')
    assert snapshot(out_dir) == before


def test_flickr30k_listed_image_without_annotation(tmp_path, data_tool,
                                                   out_dir, snapshot):
    fdir = _flickr_fixture(str(tmp_path))
    with open(osp.join(fdir, 'val.txt'), 'w') as f:
        f.write('100\n200\n')
    before = snapshot(out_dir)
    with pytest.raises(FileNotFoundError) as err:
        data_tool('import_flickr30k').main([
            '--flickr-dir', fdir, '--data-root',
            str(tmp_path), '--image-dir', 'images', '--out-dir', out_dir
        ])
    assert str(err.value).startswith(
        f'{fdir}/val.txt line 2: image 200, but '
        f'{fdir}/Annotations/200.xml does not exist.')
    assert snapshot(out_dir) == before


@pytest.mark.parametrize('mode,expressions', [('rec', 3), ('phrase', 2)])
def test_flickr30k_skip_counts_expressions(mode, expressions, tmp_path,
                                           data_tool, capsys):
    """One truncated image with 2 sentences and 3 boxed phrases: the skip
    counts the records it would have given."""
    fdir = _flickr_fixture(str(tmp_path))
    image = str(tmp_path / 'images' / '100.jpg')
    noise = np.random.default_rng(0).integers(0, 255, (50, 80, 3), np.uint8)
    cv2.imwrite(image, noise)
    data = open(image, 'rb').read()
    with open(image, 'wb') as f:
        f.write(data[:len(data) // 2])
    result = data_tool('import_flickr30k').main([
        '--flickr-dir', fdir, '--data-root',
        str(tmp_path), '--image-dir', 'images', '--out-dir',
        str(tmp_path / 'out'), '--mode', mode, '--skip-bad-images'
    ])
    assert result['summary'].counts['train']['skipped_bad_image'] == \
        expressions
    assert (
        f'train: skipped {expressions} expressions (1 image) whose image '
        'is missing or unreadable: 1 image file,') in capsys.readouterr().out


def test_visual_genome_image_id_missing(tmp_path, data_tool, out_dir,
                                        snapshot):
    vg = tmp_path / 'vg'
    vg.mkdir()
    (vg / 'image_data.json').write_text(
        json.dumps([dict(image_id=1, width=80, height=50)]))
    regions = [
        dict(
            id=2,
            regions=[
                dict(
                    region_id=20,
                    image_id=2,
                    phrase='a cup',
                    x=1,
                    y=1,
                    width=5,
                    height=5)
            ])
    ]
    (vg / 'region_descriptions.json').write_text(json.dumps(regions))
    before = snapshot(out_dir)
    with pytest.raises(ValueError) as err:
        data_tool('import_visual_genome').main(
            ['--vg-dir',
             str(vg), '--no-image-check', '--out-dir', out_dir])
    assert str(err.value).startswith(
        f'{vg}/region_descriptions.json: region 20 refers to image_id 2, '
        f'which {vg}/image_data.json does not contain.')
    assert snapshot(out_dir) == before


def test_simrec_mask_file_missing(tmp_path, data_tool, out_dir, snapshot):
    _image(str(tmp_path / 'coco' / 'COCO_train2014_000000000005.jpg'))
    (tmp_path / 'masks').mkdir()
    anns = dict(
        val=[dict(iid=5, bbox=[1, 1, 5, 5], cat_id=1, refs=['a'], mask_id=7)])
    path = tmp_path / 'refcoco.json'
    path.write_text(json.dumps(anns))
    before = snapshot(out_dir)
    with pytest.raises(FileNotFoundError) as err:
        data_tool('import_simrec').main([
            '--anns',
            str(path), '--masks-dir',
            str(tmp_path / 'masks'), '--dataset', 'refcoco', '--data-root',
            str(tmp_path), '--image-dir', 'coco', '--out-dir', out_dir
        ])
    assert str(err.value).startswith(
        f'{path}: val entry mask_id 7 has no mask file '
        f'{tmp_path}/masks/7.npy.')
    assert snapshot(out_dir) == before


def test_mdetr_annotation_of_unknown_image(tmp_path, data_tool, out_dir,
                                           snapshot):
    coco = dict(
        images=[
            dict(
                id=0,
                file_name='COCO_train2014_000000000005.jpg',
                height=50,
                width=80,
                caption='a cup',
                original_id=5,
                dataset_name='refcoco')
        ],
        annotations=[
            dict(id=0, image_id=0, bbox=[1, 2, 10, 10]),
            dict(id=1, image_id=3, bbox=[1, 2, 10, 10])
        ])
    path = tmp_path / 'final_refcoco_val.json'
    path.write_text(json.dumps(coco))
    before = snapshot(out_dir)
    with pytest.raises(ValueError) as err:
        data_tool('import_mdetr').main([
            '--json',
            str(path), '--split', 'val', '--no-image-check', '--out-dir',
            out_dir
        ])
    assert str(err.value).startswith(
        f'{path}: annotation id 1 refers to image_id 3, which its "images" '
        'list does not contain.')
    assert snapshot(out_dir) == before


def test_derived_unknown_split_by_lists_known(tmp_path, data_tool, out_dir,
                                              snapshot):
    path = tmp_path / 'split.pth'
    torch.save([('5.jpg', '5_1.pth', [1, 1, 5, 5], 'a cup', [])], path)
    before = snapshot(out_dir)
    with pytest.raises(
            ValueError,
            match=r"Unknown --split-by 'umd' for referit; the known split "
            r"schemes are \['berkeley', 'unc'\]"):
        data_tool('import_resc').main([
            '--pth',
            str(path), '--dataset', 'referit', '--split', 'val', '--split-by',
            'umd', '--no-image-check', '--out-dir', out_dir
        ])
    assert snapshot(out_dir) == before
