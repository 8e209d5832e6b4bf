# Copyright (c) mmvg contributors. All rights reserved.
"""The VL-BERT configs carry the official recipe (cfgs/refcoco/
{base,large}_detected_regions_4x16G.yaml and refcoco/function/train.py)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

CONFIG_DIR = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'vlbert')
PAPER = sorted(c for c in glob.glob(osp.join(CONFIG_DIR, 'vlbert_r101_*.py')))


def test_every_refcoco_family_dataset_has_a_config():
    assert [osp.basename(c)[:-3] for c in PAPER] == [
        'vlbert_r101_bert-base_4xb4-20e_refcoco-plus',
        'vlbert_r101_bert-base_4xb4-20e_refcoco',
        'vlbert_r101_bert-base_4xb4-20e_refcocog-umd',
        'vlbert_r101_bert-base_gt-regions_4xb4-20e_refcoco-plus',
        'vlbert_r101_bert-large_4xb2-20e_refcoco-plus',
        'vlbert_r101_bert-large_gt-regions_4xb2-20e_refcoco-plus'
    ]


@pytest.mark.parametrize('path', PAPER, ids=osp.basename)
def test_official_recipe(path):
    cfg = Config.fromfile(path)
    large = 'large' in path
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.betas, optimizer.eps,
            optimizer.weight_decay) == ('AdamW', 2.56e-5, (0.9, 0.999), 1e-6,
                                        1e-4)
    assert cfg.optim_wrapper.clip_grad.max_norm == 1.0
    # 4 GPUs x images x accumulated steps = 32 expressions per update
    accumulate = cfg.optim_wrapper.accumulative_counts
    assert 4 * cfg.train_dataloader.batch_size * accumulate == 32
    assert accumulate == (4 if large else 2)
    warmup, decay = cfg.param_scheduler
    assert (warmup.begin, warmup.end, decay.begin, decay.end,
            decay.end_factor) == (0, 1, 1, 20, 0.0)
    assert cfg.train_cfg.max_epochs == 20


@pytest.mark.parametrize('path', PAPER, ids=osp.basename)
def test_official_model_and_data(path):
    cfg = Config.fromfile(path)
    model = cfg.model
    assert model.data_preprocessor.mean == [102.9801, 115.9465, 122.7717]
    assert model.data_preprocessor.std == [1.0, 1.0, 1.0]
    assert not model.data_preprocessor.bgr_to_rgb
    assert (model.backbone.depth, model.backbone.style,
            model.backbone.frozen_stages) == (101, 'caffe', 1)
    assert (model.roi_head.dilation, model.roi_size, model.feat_stride,
            model.coord_feats) == (2, 14, 16, 256)
    assert model.head.legacy_plus_one and model.head.pos_iou_thr == 0.5
    width = 1024 if 'large' in path else 768
    assert model.vlbert.hidden_size == model.head.in_channels == width
    train, test = cfg.train_dataloader.dataset, cfg.test_dataloader.dataset
    if 'gt-regions' in path:
        # every annotated box, in training and at test
        assert train.proposal_file == test.proposal_file
        assert test.proposal_file.endswith('_gt.json')
    else:
        # detections plus every annotated box in training, detections at
        # test
        dets, gt = train.proposal_file
        assert dets.endswith('_dets.json')
        assert gt == dets[:-len('dets.json')] + 'gt.json'
        assert test.proposal_file == dets
    for pipeline in (train.pipeline, test.pipeline):
        types = [t.type for t in pipeline]
        assert 'LoadVGProposals' in types
        resize = pipeline[types.index('VGResize')]
        assert (resize.scale, resize.keep_ratio) == ((1000, 600), True)
    assert 'RandomFlipVG' in [t.type for t in train.pipeline]
    assert cfg.train_dataloader.batch_sampler.type == 'AspectRatioBatchSampler'
    assert cfg.test_evaluator == dict(type='RECMetric', legacy_plus_one=True)
