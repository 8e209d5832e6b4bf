# Copyright (c) mmvg contributors. All rights reserved.
import json
import os.path as osp
import warnings

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from mmvg.datasets import VGDataset
from mmvg.datasets.importers.proposals import proposals_metainfo
from mmvg.datasets.importers.synthetic import synthetic_detections
from mmvg.datasets.proposals import Proposals, dump_proposals, load_proposals
from mmvg.models.data_preprocessors import BatchMultiScaleResize
from mmvg.testing import demo_vg_record
from mmvg.utils import register_all_modules

register_all_modules()

PROPOSALS = [[5, 10, 50, 40], [0, 0, 20, 20], [30, 20, 59, 39]]


def _instances(root):
    with open(osp.join(root, 'refcoco', 'instances.json')) as f:
        return json.load(f)


def _write(path, images, name='test'):
    dump_proposals(str(path), dict(proposals=name), images)
    return str(path)


def _dataset(synthetic_canonical, proposal_file, split='val', **kwargs):
    root, ann_dir = synthetic_canonical
    return VGDataset(
        ann_file=osp.join(ann_dir, f'refcoco_unc_{split}.json'),
        data_root=root,
        data_prefix=dict(img='train2014'),
        proposal_file=proposal_file,
        test_mode=True,
        pipeline=[],
        **kwargs)


def test_import_mattnet_and_coco_formats(tmp_path, synthetic_raw, data_tool):
    root = synthetic_raw[0]
    dets = synthetic_detections(_instances(root), seed=1)
    dets.append(dict(image_id=1, box=[3, 4, 0, 9], score=0.9))  # no width
    dets_file = tmp_path / 'dets.json'
    dets_file.write_text(json.dumps(dets))
    out = str(tmp_path / 'proposals.json')
    counts = data_tool('import_proposals').main(
        ['--dets', str(dets_file), '--name', 'mattnet', '--out', out])
    assert counts['dropped_zero_area'] == 1
    assert counts['boxes'] == len(dets) - 1
    metainfo, proposals = load_proposals(out)
    assert metainfo['proposals'] == 'mattnet'
    assert metainfo['sources'][0]['path'] == 'dets.json'
    first = dets[0]
    boxes, scores = proposals.get(first['image_id'])
    x, y, w, h = first['box']
    np.testing.assert_allclose(boxes[0], [x, y, x + w, y + h], rtol=1e-6)
    assert scores[0] == pytest.approx(first['score'])
    # COCO detection results (bbox) read the same; annotations with
    # --ground-truth get score 1.
    coco = [
        dict(image_id=d['image_id'], bbox=d['box'], score=d['score'])
        for d in dets
    ]
    (tmp_path / 'coco.json').write_text(json.dumps(coco))
    data_tool('import_proposals').main([
        '--dets',
        str(tmp_path / 'coco.json'), '--name', 'coco', '--out',
        str(tmp_path / 'coco_proposals.json')
    ])
    coco_boxes = load_proposals(str(tmp_path / 'coco_proposals.json'))[1]
    np.testing.assert_array_equal(coco_boxes.boxes, proposals.boxes)
    gt = str(tmp_path / 'gt.json')
    counts = data_tool('import_proposals').main([
        '--dets',
        osp.join(root, 'refcoco', 'instances.json'), '--ground-truth',
        '--name', 'gt', '--out', gt
    ])
    assert counts['boxes'] == len(_instances(root)['annotations'])
    assert (load_proposals(gt)[1].scores == 1).all()
    with pytest.raises(ValueError, match='--ground-truth'):
        data_tool('import_proposals').main([
            '--dets',
            osp.join(root, 'refcoco', 'instances.json'), '--name', 'x',
            '--out', gt
        ])


def test_bad_proposals_files(tmp_path):
    path = _write(tmp_path / 'p.json', {1: (PROPOSALS, [0.9, 0.8, 0.7])})
    text = open(path).read()
    (tmp_path / 'cut.json').write_text(text[:len(text) // 2])
    with pytest.raises(ValueError, match='cut.json'):
        load_proposals(str(tmp_path / 'cut.json'))
    edited = json.loads(text)
    edited['images']['1']['bboxes'].pop()
    edited['images']['1']['scores'].pop()
    (tmp_path / 'edited.json').write_text(json.dumps(edited))
    with pytest.raises(ValueError, match='says 1 images and 3 boxes'):
        load_proposals(str(tmp_path / 'edited.json'))
    edited['images']['1']['scores'].pop()
    (tmp_path / 'ragged.json').write_text(json.dumps(edited))
    with pytest.raises(ValueError, match='image 1 needs'):
        load_proposals(str(tmp_path / 'ragged.json'))
    (tmp_path / 'list.json').write_text('[]')
    with pytest.raises(ValueError, match='not an mmvg proposals file'):
        load_proposals(str(tmp_path / 'list.json'))
    with pytest.raises(FileNotFoundError, match='import_proposals'):
        load_proposals(str(tmp_path / 'missing.json'))


def _first_index(dataset, image_id):
    """The index of the first sample of an image."""
    return next(
        i for i in range(len(dataset))
        if dataset.get_data_info(i)['image_id'] == image_id)


def _all_images(synthetic_canonical, split='val'):
    _, ann_dir = synthetic_canonical
    with open(osp.join(ann_dir, f'refcoco_unc_{split}.json')) as f:
        return {r['image_id']: r for r in json.load(f)['data_list']}


def test_dataset_unites_clips_and_counts(tmp_path, synthetic_canonical):
    images = _all_images(synthetic_canonical)
    first, rec = next(iter(images.items()))
    w, h = rec['width'], rec['height']
    dets = {i: ([[1, 2, 30, 40]], [0.5]) for i in images}
    # Reaching outside the image: clipped; wholly outside: dropped.
    dets[first] = ([[-5, -5, 30, 40], [w + 1, 0, w + 9, 9]], [0.9, 0.8])
    gt = {first: ([[2, 3, w, h]], [1.0]), 10**6: ([[0, 0, 1, 1]], [1.0])}
    with pytest.warns(UserWarning, match='dropped 1 proposals'):
        dataset = _dataset(synthetic_canonical, [
            _write(tmp_path / 'dets.json', dets),
            _write(tmp_path / 'gt.json', gt)
        ])
    info = dataset.get_data_info(_first_index(dataset, first))
    np.testing.assert_array_equal(info['proposals'],
                                  [[0, 0, 30, 40], [2, 3, w, h]])
    np.testing.assert_allclose(info['proposals_scores'], [0.9, 1.0])
    assert isinstance(dataset.proposals, Proposals)
    assert len(dataset.proposals) == len(images)


def test_missing_and_foreign_proposals(tmp_path, synthetic_canonical):
    images = _all_images(synthetic_canonical)
    first, rec = next(iter(images.items()))
    partial = {i: ([[1, 2, 30, 40]], [0.5]) for i in images if i != first}
    path = _write(tmp_path / 'partial.json', partial)
    with pytest.raises(
            ValueError,
            match=f'1 of the {len(images)} images.*'
            f'image_id={first} \\({rec["img_path"]}'):
        _dataset(synthetic_canonical, path)
    with pytest.warns(UserWarning, match='only the whole-image box'):
        dataset = _dataset(
            synthetic_canonical, path, missing_proposals='whole_image')
    idx = _first_index(dataset, first)
    out = Compose([dict(type='LoadVGProposals')])(dataset.get_data_info(idx))
    assert out['proposals'].tensor.tolist() == [[
        0, 0, rec['width'], rec['height']
    ]]
    with pytest.raises(ValueError, match='no proposals and'):
        Compose([dict(type='LoadVGProposals', whole_image_box=False)])(
            dataset.get_data_info(idx))
    foreign = _write(tmp_path / 'foreign.json',
                     {10**6 + i: ([[1, 2, 3, 4]], [1.0])
                      for i in range(3)})
    with pytest.raises(
            ValueError,
            match=f'foreign.json shares no image.*3 images there, '
            f'{len(images)} here'):
        _dataset(synthetic_canonical, foreign)
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        _dataset(synthetic_canonical, str(tmp_path / 'nothing.json'))
    with pytest.raises(ValueError, match='missing_proposals'):
        _dataset(synthetic_canonical, path, missing_proposals='skip')


def _record(proposals=PROPOSALS, h=40, w=60):
    record = demo_vg_record(h, w)
    record['proposals'] = np.array(proposals, np.float32)
    record['proposals_scores'] = np.linspace(1, 0.5, len(proposals))
    return record


def _expected(boxes, scale, flip_width=None, offset=(0, 0)):
    boxes = np.array(boxes, np.float32) * np.array(scale * 2, np.float32)
    if flip_width is not None:
        boxes[:, [0, 2]] = flip_width - boxes[:, [2, 0]]
    return boxes + np.array(offset * 2, np.float32)


def test_proposals_round_trip_through_the_pipeline():
    """Load, resize, flip, pad and pack: the packed proposals are the
    record's moved exactly as the image, the whole-image box first."""
    whole = [[0, 0, 60, 40]]
    out = Compose([
        dict(type='LoadVGAnnotations'),
        dict(type='LoadVGProposals'),
        dict(type='VGResize', scale=(120, 120), keep_ratio=True),
        dict(type='RandomFlipVG', prob=1.0),
        dict(type='VGPad', size=(128, 128)),
        dict(type='PackVGInputs'),
    ])(
        _record())
    sample = out['data_samples']
    assert sample.img_shape == (80, 120) and sample.flip
    expected = _expected(whole + PROPOSALS, (2.0, 2.0), flip_width=120)
    np.testing.assert_allclose(sample.proposals.bboxes.numpy(), expected)
    np.testing.assert_allclose(sample.proposals.scores.numpy(),
                               [1, 1, 0.75, 0.5])
    # The ground truth moved the same way.
    np.testing.assert_allclose(
        sample.gt_instances.bboxes.numpy(),
        _expected([[10, 5, 30, 25]], (2.0, 2.0), flip_width=120))
    # Without the whole-image box and capped at two proposals.
    out = Compose([
        dict(
            type='LoadVGProposals', whole_image_box=False,
            num_max_proposals=2),
        dict(type='LetterBox', size=120),
        dict(type='PackVGInputs'),
    ])(
        _record())
    np.testing.assert_allclose(
        out['data_samples'].proposals.bboxes.numpy(),
        _expected(PROPOSALS[:2], (2.0, 2.0), offset=(0, 20)))


def test_crop_drops_emptied_proposals():
    np.random.seed(0)
    record = _record([[0, 0, 4, 4], [5, 10, 50, 40]])
    out = Compose([
        dict(type='LoadVGAnnotations'),
        dict(type='LoadVGProposals', whole_image_box=False),
        dict(type='RandomCropKeepTarget', ratio_range=(0.5, 0.5), prob=1.0),
    ])(
        record)
    h, w = out['img_shape']
    boxes = out['proposals'].tensor.numpy()
    assert len(boxes) == len(out['proposals_scores'])
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 2] <= w).all()
    assert (boxes[:, 3] <= h).all()


def test_a_transform_that_leaves_proposals_behind_is_named():
    pipeline = Compose([
        dict(type='LoadVGProposals'),
        dict(type='Resize', scale=(120, 120), keep_ratio=True),
        dict(type='PackVGInputs'),
    ])
    with pytest.raises(ValueError, match="VGResize.*sent_id=3"):
        pipeline(_record())
    with pytest.raises(KeyError, match='proposal_file'):
        Compose([dict(type='LoadVGProposals')])(demo_vg_record())


def test_batch_multi_scale_resize_scales_proposals():
    out = Compose([dict(type='LoadVGProposals'),
                   dict(type='PackVGInputs')])(
                       _record())
    sample = out['data_samples']
    before = sample.proposals.bboxes.clone()
    resize = BatchMultiScaleResize(sizes=[(80, 120)])
    inputs = out['inputs'][None].float()
    _, (sample, ) = resize(inputs, [sample])
    torch.testing.assert_close(sample.proposals.bboxes,
                               before * torch.tensor([2., 2., 2., 2.]))


def test_synthetic_proposals_are_written(tmp_path):
    from mmvg.datasets.importers.synthetic import prepare_synthetic
    root = str(tmp_path / 'synthetic')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        prepare_synthetic(root, num_images=20, seed=3)
    dets = load_proposals(
        osp.join(root, 'annotations', 'synthetic_proposals_dets.json'))[1]
    gt = load_proposals(
        osp.join(root, 'annotations', 'synthetic_proposals_gt.json'))[1]
    assert len(dets) == len(gt) == 20
    # Each image: its shapes (a few missed) plus 2-5 distractors.
    assert len(dets.boxes) >= len(gt.boxes)
    metainfo = proposals_metainfo('x', [], '1.0')
    assert metainfo['importer'] == 'import_proposals'


def test_proposal_recall_tool(tmp_path, synthetic_canonical, capsys):
    """The share of expressions with a proposal on their target: every gt
    box of even image ids, a far box for odd ids, one image left out."""
    from mmvg.datasets.canonical import load_canonical
    from mmvg.testing import import_tool
    tool = import_tool('analysis_tools/proposal_recall.py')
    root, ann_dir = synthetic_canonical
    ann_file = osp.join(ann_dir, 'refcoco_unc_val.json')
    records = load_canonical(ann_file)[1]
    boxes = {}
    for record in records:
        boxes.setdefault(record['image_id'], []).append(record['bboxes'][0])
    left_out = min(boxes)
    images = {
        image_id: ((gts if image_id % 2 == 0 else [[0, 0, 1, 1]]),
                   [1.] * (len(gts) if image_id % 2 == 0 else 1))
        for image_id, gts in boxes.items() if image_id != left_out
    }
    path = _write(tmp_path / 'proposals.json', images)
    hits = [
        r['image_id'] % 2 == 0 and r['image_id'] != left_out for r in records
    ]
    result = tool.proposal_recall(ann_file, path, (0.5, 0.99))
    assert result['recall@0.5'] == pytest.approx(100 * np.mean(hits))
    assert result['recall@0.99'] == pytest.approx(100 * np.mean(hits))
    assert result['expressions'] == len(records)
    assert result['images without proposals'] == 1
    tool.main([ann_file, path, '--thresholds', '0.5'])
    assert f'recall@0.5: {100 * np.mean(hits):.2f}' in capsys.readouterr().out
    foreign = _write(tmp_path / 'foreign.json',
                     {10**9: ([[0, 0, 5, 5]], [1.])})
    with pytest.raises(ValueError, match='foreign.json has no image'):
        tool.proposal_recall(ann_file, foreign)
