# Copyright (c) mmvg contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvg.apis import inference_grounder, init_grounder
from mmvg.datasets.tokenizers import build_word_vocab
from mmvg.testing import get_config_path, get_resource_dir

CONFIG = get_config_path(
    'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py')


def load_demo():
    spec = importlib.util.spec_from_file_location(
        'image_demo', osp.join(get_resource_dir('demo'), 'image_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def quick_start(tmp_path_factory):
    """The quick-start config reading a vocabulary in a temporary dir, a
    checkpoint of its randomly initialised model and a shapes image."""
    root = tmp_path_factory.mktemp('apis')
    vocab_file = str(root / 'vocab.json')
    with open(vocab_file, 'w') as f:
        json.dump(build_word_vocab(['the red circle left of the square']), f)
    cfg = Config.fromfile(CONFIG)
    # the model's tokenizer reads the text
    cfg.model.data_preprocessor.tokenizer.vocab_file = vocab_file
    config_file = str(root / 'config.py')
    cfg.dump(config_file)
    model = init_grounder(config_file)
    checkpoint = str(root / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    img = np.full((150, 210, 3), 128, np.uint8)
    cv2.circle(img, (60, 70), 20, (40, 40, 220), -1)
    cv2.rectangle(img, (130, 40), (170, 80), (220, 90, 30), -1)
    img_file = str(root / 'shapes.jpg')
    cv2.imwrite(img_file, img)
    return config_file, checkpoint, img_file


def test_demo_writes_picture(quick_start, tmp_path):
    config_file, checkpoint, img_file = quick_start
    out_file = str(tmp_path / 'vis' / 'out.jpg')
    bboxes = load_demo().main([
        img_file, 'the red circle', config_file, checkpoint, '--out-file',
        out_file
    ])
    assert bboxes.shape == (1, 4)
    h, w = cv2.imread(img_file).shape[:2]
    assert (bboxes[:, 2:] >= bboxes[:, :2]).all()
    assert (bboxes >= 0).all() and (bboxes[:, 0::2] <= w).all()
    assert (bboxes[:, 1::2] <= h).all()
    out = cv2.imread(out_file)
    assert out.shape == (h, w, 3)
    # Something was drawn.
    assert np.abs(out.astype(int) - cv2.imread(img_file)).max() > 50


def test_inference_from_array_matches_path(quick_start):
    config_file, checkpoint, img_file = quick_start
    model = init_grounder(config_file, checkpoint)
    from_path = inference_grounder(model, img_file, 'the red circle')
    from_array = inference_grounder(model, cv2.imread(img_file),
                                    'the red circle')
    assert from_path.ori_shape == (150, 210)
    torch.testing.assert_close(from_path.pred_instances.bboxes,
                               from_array.pred_instances.bboxes)
    assert from_path.pred_instances.scores.shape == (1, )


def test_checkpoint_weights_are_loaded(quick_start, tmp_path):
    config_file, checkpoint, _ = quick_start
    saved = torch.load(checkpoint, weights_only=True)['state_dict']
    model = init_grounder(config_file, checkpoint)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved[key])


def test_old_config_name_builds_the_renamed_config():
    old = osp.join(
        get_resource_dir('configs'), 'vltvg',
        'vltvg_r18-tiny_2500i_synthetic.py')
    with pytest.warns(FutureWarning, match='1xb32-2500i_synthetic'):
        model = init_grounder(old)
    assert type(model).__name__ == 'VLTVG'


def test_bad_input(quick_start, tmp_path):
    config_file, checkpoint, img_file = quick_start
    model = init_grounder(config_file, checkpoint)
    missing = str(tmp_path / 'nowhere.jpg')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        inference_grounder(model, missing, 'the red circle')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        load_demo().main([missing, 'the red circle', config_file, checkpoint])
    for text in ('', '   '):
        with pytest.raises(ValueError, match='expression is empty'):
            inference_grounder(model, img_file, text)
    with pytest.raises(FileNotFoundError, match='no_config.py'):
        init_grounder(str(tmp_path / 'no_config.py'))
    # A checkpoint of another model fails and names the keys.
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), other)
    with pytest.raises(RuntimeError, match='head.fc.weight'):
        init_grounder(config_file, other)
