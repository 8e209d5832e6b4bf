# Copyright (c) mmvg contributors. All rights reserved.
import json
import os
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from pycocotools import mask as mask_utils

from mmvg.apis import VGInferencer, inference_grounder, init_grounder
from mmvg.datasets import prepare_synthetic
from mmvg.registry import INFERENCERS
from mmvg.testing import (get_config_path, quick_start_checkpoint, run_tool,
                          shapes_image)

VLTVG_CONFIG = 'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py'

TEXTS = ['the red circle', 'the square left of the circle', 'red', 'circle']


def all_samples(result):
    return [s for samples in result['predictions'] for s in samples]


def assert_same_boxes(samples, reference):
    assert len(samples) == len(reference)
    for a, b in zip(samples, reference):
        assert a.metainfo['ori_text'] == b.metainfo['ori_text']
        # Another batch size sums in another order: a few float32 units in
        # the last place, well under 1e-5 of these images' sizes.
        torch.testing.assert_close(
            a.pred_instances.bboxes,
            b.pred_instances.bboxes,
            atol=1e-3,
            rtol=0)
        torch.testing.assert_close(a.pred_instances.scores,
                                   b.pred_instances.scores)


@pytest.fixture(scope='module')
def inferencer(quick_start):
    config_file, checkpoint, _ = quick_start
    return VGInferencer(config_file, checkpoint)


@pytest.fixture(scope='module')
def images(quick_start, tmp_path_factory):
    """Three images of different sizes: two files and an array."""
    root = tmp_path_factory.mktemp('images')
    other = cv2.imread(shapes_image(str(root / 'b.jpg'), (90, 260)))
    return [quick_start[2], str(root / 'b.jpg'), np.flip(other, 1).copy()]


def test_registered():
    assert INFERENCERS.get('VGInferencer') is VGInferencer


@pytest.mark.parametrize('batch_size', [1, 2])
def test_shared_visual_pass_matches_one_pass_per_pair(inferencer, images,
                                                      batch_size):
    texts = [TEXTS, TEXTS[:1], TEXTS[1:]]
    shared = inferencer(
        images, texts, batch_size=batch_size, return_datasamples=True)
    unshared = inferencer(
        images,
        texts,
        batch_size=batch_size,
        share_visual=False,
        return_datasamples=True)
    per_pair = [
        inferencer(img, [text], return_datasamples=True)['predictions'][0][0]
        for img, exprs in zip(images, texts) for text in exprs
    ]
    assert [len(s) for s in shared['predictions']] == [4, 1, 3]
    assert_same_boxes(all_samples(shared), all_samples(unshared))
    assert_same_boxes(all_samples(shared), per_pair)
    # Different expressions about one image get different boxes: the
    # shared visual features are fused with each expression, not reused.
    boxes = [s.pred_instances.bboxes for s in shared['predictions'][0]]
    assert not torch.allclose(boxes[0], boxes[1])


def test_predict_shared_encodes_each_image_once(quick_start, monkeypatch):
    model = init_grounder(quick_start[0], quick_start[1])
    calls = []
    backbone_forward = model.backbone.forward
    monkeypatch.setattr(model.backbone, 'forward',
                        lambda x: calls.append(len(x)) or backbone_forward(x))
    VGInferencer(model)([quick_start[2]] * 2, [TEXTS, TEXTS[:2]], batch_size=2)
    assert calls == [2]
    VGInferencer(model)(
        [quick_start[2]] * 2, [TEXTS, TEXTS[:2]],
        batch_size=2,
        share_visual=False)
    assert calls == [2, 6]


def test_early_fusion_model_falls_back_to_a_pass_per_pair(
        lavt_quick_start, quick_start):
    config_file, checkpoint = lavt_quick_start
    inferencer = VGInferencer(config_file, checkpoint)
    assert not inferencer.model.shares_visual_feat
    img = quick_start[2]
    shared = inferencer(img, TEXTS[:2], return_datasamples=True)
    unshared = inferencer(
        img, TEXTS[:2], share_visual=False, return_datasamples=True)
    for a, b in zip(all_samples(shared), all_samples(unshared)):
        torch.testing.assert_close(a.pred_instances.masks,
                                   b.pred_instances.masks)
    # Masks come back as COCO RLE in original pixels.
    (entry, ) = inferencer(img, TEXTS[:2])['predictions']
    rle = entry['expressions'][0]['masks'][0]
    mask = mask_utils.decode(dict(rle, counts=rle['counts'].encode()))
    assert mask.shape == cv2.imread(img).shape[:2]
    np.testing.assert_array_equal(
        mask,
        all_samples(shared)[0].pred_instances.masks[0].numpy())


def test_heatmaps(inferencer, quick_start):
    (sample, ) = all_samples(
        inferencer(
            quick_start[2],
            'the red circle',
            heatmaps=True,
            return_datasamples=True))
    heatmap = sample.pred_heatmaps['verification']
    # 128x128 inputs at stride 16
    assert heatmap.shape == (8, 8)
    assert heatmap.min() >= 0 and heatmap.max() <= 1
    assert heatmap.std() > 0


def test_reproduces_test_tool_on_synthetic_val(tmp_path):
    """The inferencer's boxes equal tools/test.py's on a slice of the
    synthetic val split (same checkpoint, same test pipeline)."""
    data_root = str(tmp_path / 'synthetic')
    prepare_synthetic(data_root, num_images=24)
    cfg = Config.fromfile(get_config_path(VLTVG_CONFIG))
    cfg.model.data_preprocessor.tokenizer.vocab_file = os.path.join(
        data_root, 'annotations', 'vocab.json')
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    config = str(tmp_path / 'config.py')
    cfg.dump(config)
    model = init_grounder(config)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    run_tool([
        'tools/test.py', config, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(tmp_path / 'preds.pkl')
    ])
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        expected = pickle.load(f)[:12]
    assert len(expected) == 12
    result = VGInferencer(model)([e['img_path'] for e in expected],
                                 [e['ori_text'] for e in expected],
                                 batch_size=4,
                                 return_datasamples=True)
    for sample, reference in zip(all_samples(result), expected):
        assert sample.img_path == reference['img_path']
        torch.testing.assert_close(
            sample.pred_instances.bboxes,
            reference['pred_instances']['bboxes'],
            atol=1e-4,
            rtol=0)


def test_out_dir_holds_pictures_and_predictions(quick_start, images, tmp_path):
    # A new inferencer: arrays are named by its count of pictures.
    inferencer = VGInferencer(quick_start[0], quick_start[1])
    result = inferencer(
        images, [TEXTS[:2], TEXTS[2:], TEXTS[:1]],
        out_dir=str(tmp_path),
        no_save_pred=False,
        return_vis=True)
    assert sorted(os.listdir(
        tmp_path / 'preds')) == ['00000002.json', 'b.json', 'shapes.json']
    with open(tmp_path / 'preds' / 'b.json') as f:
        saved = json.load(f)
    assert saved == result['predictions'][1]
    assert [e['text'] for e in saved['expressions']] == TEXTS[2:]
    assert len(saved['expressions'][0]['bboxes'][0]) == 4
    assert sorted(os.listdir(
        tmp_path / 'vis')) == ['00000002.jpg', 'b.jpg', 'shapes.jpg']
    for picture, img in zip(result['visualization'], images):
        img = cv2.imread(img) if isinstance(img, str) else img
        assert picture.shape[1] >= img.shape[1]
    # Nothing is written without out_dir, and by default no predictions.
    inferencer(images[0], TEXTS[0], out_dir=str(tmp_path / 'default'))
    assert os.listdir(tmp_path / 'default') == ['vis']


def test_model_name_from_the_model_index(quick_start, tmp_path, monkeypatch):
    # The config's tokenizer reads data/synthetic/annotations/vocab.json.
    monkeypatch.chdir(tmp_path)
    os.makedirs('data/synthetic/annotations')
    with open(quick_start[0].replace('config.py', 'vocab.json')) as f:
        vocab = f.read()
    with open('data/synthetic/annotations/vocab.json', 'w') as f:
        f.write(vocab)
    name = 'vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic'
    inferencer = VGInferencer(name, quick_start[1])
    assert inferencer.cfg.filename == get_config_path(VLTVG_CONFIG)
    (entry, ) = inferencer(quick_start[2], 'red')['predictions']
    assert len(entry['expressions']) == 1
    with pytest.raises(ValueError) as error:
        VGInferencer('vltvg_r50_no-such-model')
    assert 'vltvg_r50_bert-base_4xb16-90e_refcoco\n' in str(error.value)
    assert name in str(error.value)


def test_grayscale_and_rgba_images_are_converted(inferencer, quick_start,
                                                 tmp_path):
    bgr = cv2.imread(quick_start[2])
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / 'gray.png'), gray)
    bgra = np.concatenate([bgr, np.full_like(bgr[..., :1], 255)], axis=2)
    cv2.imwrite(str(tmp_path / 'rgba.png'), bgra)
    as_gray = inferencer([str(tmp_path / 'gray.png'), gray], ['red', 'red'],
                         return_datasamples=True)
    reference = inferencer(
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), 'red', return_datasamples=True)
    assert_same_boxes(all_samples(as_gray)[:1], all_samples(reference))
    assert_same_boxes(all_samples(as_gray)[1:], all_samples(reference))
    as_rgba = inferencer([str(tmp_path / 'rgba.png'), bgra], ['red', 'red'],
                         return_datasamples=True)
    reference = inferencer(bgr, 'red', return_datasamples=True)
    assert_same_boxes(all_samples(as_rgba)[:1], all_samples(reference))
    assert_same_boxes(all_samples(as_rgba)[1:], all_samples(reference))


def test_bad_input(inferencer, quick_start, tmp_path):
    img = quick_start[2]
    with pytest.raises(
            ValueError, match='No expression given for image .*'
            'shapes.jpg'):
        inferencer(img, [])
    with pytest.raises(
            ValueError,
            match=r"Expression ' ' for image .*"
            r'shapes.jpg is empty'):
        inferencer([img, img], [['red'], ['red', ' ']])
    with pytest.raises(ValueError, match='2 images but 3 entries'):
        inferencer([img, img], ['a', 'b', 'c'])
    corrupt = tmp_path / 'corrupt.jpg'
    corrupt.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(OSError, match='corrupt.jpg'):
        inferencer(str(corrupt), 'red')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        inferencer(str(tmp_path / 'nowhere.jpg'), 'red')
    with pytest.raises(ValueError, match=r'<array 0> has shape \(4, 4, 2\)'):
        inferencer(np.zeros((4, 4, 2), np.uint8), 'red')
    # A checkpoint of another model lists the key mismatch.
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), other)
    with pytest.raises(RuntimeError, match='head.fc.weight'):
        VGInferencer(quick_start[0], other)
    # A built model without its config cannot make a pipeline.
    bare = init_grounder(Config.fromfile(quick_start[0]))
    del bare.cfg
    with pytest.raises(TypeError, match='model.cfg'):
        VGInferencer(bare)


def test_region_ranking_model_takes_proposals(quick_start, tmp_path):
    """VL-BERT ranks the given boxes (and the whole image): the answer is
    one of them, in original pixels, and the same for each image alone
    and in a batch; missing, misshapen or empty proposals name the
    image."""
    config_file, checkpoint = quick_start_checkpoint(
        'vlbert/vlbert_r18-tiny_bert-tiny_1xb32-1500i_synthetic.py',
        str(tmp_path))
    inferencer = VGInferencer(config_file, checkpoint)
    image = quick_start[2]
    small = cv2.resize(cv2.imread(image), (90, 60))
    boxes = [[[10, 12, 40, 50], [60, 20, 100, 64], [5, 5, 30, 20]],
             [[2, 3, 40, 30], [50, 10, 88, 58]]]
    texts = ['the red circle', 'the square']
    together = inferencer([image, small], texts, proposals=boxes,
                          batch_size=2)['predictions']
    for i, img in enumerate([image, small]):
        alone = inferencer(img, texts[i], proposals=boxes[i])['predictions']
        box = alone[0]['expressions'][0]['bboxes'][0]
        h, w = (cv2.imread(img) if isinstance(img, str) else img).shape[:2]
        candidates = [[0, 0, w, h]] + boxes[i]
        assert min(np.abs(np.subtract(box, c)).max()
                   for c in candidates) < 1e-3, (box, candidates)
        np.testing.assert_allclose(
            together[i]['expressions'][0]['bboxes'][0], box, atol=1e-4)
    sample = inference_grounder(
        init_grounder(config_file, checkpoint), small, 'the square', boxes[1])
    np.testing.assert_allclose(
        sample.pred_instances.bboxes[0].numpy(),
        together[1]['expressions'][0]['bboxes'][0],
        atol=1e-4)
    with pytest.raises(ValueError, match='ranks region proposals'):
        inferencer(image, 'the red circle')
    with pytest.raises(ValueError, match='2 images but 1 proposal lists'):
        inferencer([image, small], texts, proposals=[boxes[0]])
    with pytest.raises(ValueError, match=r'shapes.jpg must be \(K, 4\)'):
        inferencer(image, 'the red circle', proposals=[[1, 2, 3]])
    with pytest.raises(ValueError, match=r'\[5.0, 5.0, 5.0, 9.0\].*no area'):
        inferencer(image, 'the red circle', proposals=[[5, 5, 5, 9]])
    # a model without proposals refuses them
    config_file, checkpoint, _ = quick_start
    with pytest.raises(ValueError, match='does not read them'):
        VGInferencer(config_file, checkpoint)(
            image, 'the red circle', proposals=boxes[0])
