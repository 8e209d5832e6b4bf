# Copyright (c) mmvg contributors. All rights reserved.
"""``tools/test.py --show-dir`` saves one picture per expression showing
the expression, the ground truth and the prediction."""
import glob
import os.path as osp
import pickle

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvg.datasets.importers.synthetic import prepare_synthetic
from mmvg.registry import MODELS
from mmvg.testing import get_config_path, run_tool
from mmvg.utils import register_all_modules

QUICK_START = 'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py'
NUM_SAMPLES = 4


@pytest.fixture(scope='module')
def tiny_test_run(tmp_path_factory):
    """The quick-start VLTVG, randomly initialised, tested with
    ``--show-dir`` on the first expressions of a 12-image synthetic val
    split (all about one image)."""
    root = tmp_path_factory.mktemp('show_dir')
    data_root = str(root / 'synthetic') + '/'
    prepare_synthetic(data_root, num_images=12, seed=0)
    cfg = Config.fromfile(get_config_path(QUICK_START))
    cfg.model.data_preprocessor.tokenizer.vocab_file = osp.join(
        data_root, 'annotations', 'vocab.json')
    cfg.test_dataloader.batch_size = 2
    cfg.test_dataloader.dataset.update(
        data_root=data_root, generate_if_missing=False, indices=NUM_SAMPLES)
    config = str(root / 'config.py')
    cfg.dump(config)
    register_all_modules()
    checkpoint = str(root / 'model.pth')
    torch.save(
        dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    work_dir = root / 'work'
    run_tool([
        'tools/test.py', config, checkpoint, '--work-dir',
        str(work_dir), '--show-dir', 'vis', '--out',
        str(root / 'preds.pkl')
    ])
    with open(root / 'preds.pkl', 'rb') as f:
        predictions = pickle.load(f)
    pictures = sorted(glob.glob(str(work_dir / '*' / 'vis' / '*.jpg')))
    return predictions, pictures


def test_one_picture_per_expression(tiny_test_run):
    predictions, pictures = tiny_test_run
    assert len(predictions) == NUM_SAMPLES
    # The expressions are about one image: each still has its picture.
    assert len({p['img_path'] for p in predictions}) == 1
    stem = osp.splitext(osp.basename(predictions[0]['img_path']))[0]
    assert [osp.basename(p) for p in pictures
            ] == sorted(f'{stem}_{p["sent_id"]}.jpg' for p in predictions)


def test_picture_shows_expression_gt_and_prediction(tiny_test_run):
    predictions, pictures = tiny_test_run
    for prediction in predictions:
        image = mmcv.imread(
            prediction['img_path'], channel_order='rgb').astype(int)
        height, width = image.shape[:2]
        picture_file = [
            p for p in pictures if p.endswith(f'_{prediction["sent_id"]}.jpg')
        ][0]
        picture = mmcv.imread(picture_file, channel_order='rgb').astype(int)
        assert picture.shape[1] == 2 * width
        # The band above the panels: light, with dark text.
        band = picture[:-height]
        assert len(band) > 10
        assert (band.min(-1) > 200).mean() > 0.8
        assert (band.max(-1) < 80).sum() > 20
        # The prediction panel differs from the input on the box outline,
        # and the ground-truth panel on the gt box's.
        gt_panel, pred_panel = picture[-height:, :width], picture[-height:,
                                                                  width:]
        box = prediction['pred_instances']['bboxes'][0].numpy()
        assert _changed(pred_panel, image, box) > 0.5
        assert _changed(gt_panel, image, prediction['ori_gt_bboxes'][0]) > 0.5
        # Away from the boxes the panels are the image (JPEG noise aside).
        assert np.abs(pred_panel - image).max(-1).mean() < 8


def _changed(panel: np.ndarray, image: np.ndarray, box) -> float:
    """The share of a box outline's pixels that differ from the image."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = np.clip(
        np.round(box).astype(int), 0, [width - 1, height - 1] * 2)
    ys = np.r_[np.full(x2 - x1 + 1, y1),
               np.full(x2 - x1 + 1, y2),
               np.arange(y1, y2 + 1),
               np.arange(y1, y2 + 1)]
    xs = np.r_[np.arange(x1, x2 + 1),
               np.arange(x1, x2 + 1),
               np.full(y2 - y1 + 1, x1),
               np.full(y2 - y1 + 1, x2)]
    diff = np.abs(panel[ys, xs] - image[ys, xs]).max(-1)
    return float((diff > 40).mean())
