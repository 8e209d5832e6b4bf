# Copyright (c) mmvg contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmvg.apis import inference_grounder, init_grounder
from mmvg.testing import get_resource_dir, quick_start_checkpoint


def load_demo():
    spec = importlib.util.spec_from_file_location(
        'image_demo', osp.join(get_resource_dir('demo'), 'image_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_writes_picture_and_predictions(quick_start, tmp_path):
    config_file, checkpoint, img_file = quick_start
    out_dir = tmp_path / 'outputs'
    result = load_demo().main([
        img_file, config_file, '--weights', checkpoint, '--texts',
        'the red circle', 'the blue square', '--out-dir',
        str(out_dir)
    ])
    (entry, ) = result['predictions']
    assert [e['text'] for e in entry['expressions']
            ] == ['the red circle', 'the blue square']
    h, w = cv2.imread(img_file).shape[:2]
    for expr in entry['expressions']:
        bboxes = np.array(expr['bboxes'])
        assert bboxes.shape == (1, 4)
        assert (bboxes[:, 2:] >= bboxes[:, :2]).all()
        assert (bboxes >= 0).all() and (bboxes[:, 0::2] <= w).all()
        assert (bboxes[:, 1::2] <= h).all()
    with open(out_dir / 'preds' / 'shapes.json') as f:
        assert json.load(f) == entry
    picture = cv2.imread(str(out_dir / 'vis' / 'shapes.jpg'))
    assert picture is not None and picture.shape[1] >= w


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


def test_demo_reads_proposals_for_a_ranking_model(quick_start, tmp_path):
    """VL-BERT's answer is one of the file's boxes or the whole image;
    an image missing from the file is named."""
    config_file, checkpoint = quick_start_checkpoint(
        'vlbert/vlbert_r18-tiny_bert-tiny_1xb32-1500i_synthetic.py',
        str(tmp_path))
    img_file = quick_start[2]
    boxes = [[10, 12, 40, 50], [60, 20, 100, 64]]
    table = tmp_path / 'boxes.json'
    table.write_text(json.dumps({'shapes.jpg': boxes}))
    args = [
        img_file, config_file, '--weights', checkpoint, '--texts',
        'the red circle', '--out-dir',
        str(tmp_path / 'out'), '--no-save-vis'
    ]
    result = load_demo().main(args + ['--proposals', str(table)])
    (box, ) = result['predictions'][0]['expressions'][0]['bboxes']
    h, w = cv2.imread(img_file).shape[:2]
    assert min(
        np.abs(np.subtract(box, c)).max()
        for c in [[0, 0, w, h]] + boxes) < 1e-3
    table.write_text(json.dumps({'other.jpg': boxes}))
    with pytest.raises(KeyError, match='no proposals for .*shapes.jpg'):
        load_demo().main(args + ['--proposals', str(table)])


def test_bad_input(quick_start, tmp_path):
    config_file, checkpoint, img_file = quick_start
    model = init_grounder(config_file, checkpoint)
    missing = str(tmp_path / 'nowhere.jpg')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        inference_grounder(model, missing, 'the red circle')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        load_demo().main([
            missing, config_file, '--weights', checkpoint, '--texts',
            'the red circle'
        ])
    for text in ('', '   '):
        with pytest.raises(ValueError, match='shapes.jpg is empty'):
            inference_grounder(model, img_file, text)
    with pytest.raises(FileNotFoundError, match='no_config.py'):
        init_grounder(str(tmp_path / 'no_config.py'))
    # A checkpoint of another model fails and names the keys.
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), other)
    with pytest.raises(RuntimeError, match='head.fc.weight'):
        init_grounder(config_file, other)
