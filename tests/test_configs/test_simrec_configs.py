# Copyright (c) mmvg contributors. All rights reserved.
"""The SimREC and MCN paper configs: the official model sizes, the official
recipe (configs/simrec_*.py and configs/mcn_refcoco_scratch.py of
luogen1996/SimREC at e8136cc)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import PARAM_SCHEDULERS

from mmvg.testing import build_on_meta, get_resource_dir
from mmvg.utils import register_all_modules

register_all_modules()

SIMREC = sorted(
    glob.glob(
        osp.join(
            get_resource_dir('configs'), 'simrec', 'simrec_cspdarknet_*.py')))
MCN = sorted(
    glob.glob(
        osp.join(get_resource_dir('configs'), 'mcn', 'mcn_darknet53_*.py')))
# A vocabulary size for the word embedding (the configs' vocabulary files
# are not read).
V = 50
# Parameters of the official classes (random init, V words), counted with
# sum(p.numel()) over SimREC(CspDarkNet, LSTM_SA depth 1, ...) and
# MCN(DarkNet53, LSTM_SA depth 3, ...) built as in their configs; trainable
# ones with freeze_backbone=True and the frozen GloVe embedding.
OFFICIAL = dict(
    SimREC=dict(params=40_192_135 + 300 * V, trainable=26_205_447),
    MCN=dict(params=80_125_429 + 300 * V, trainable=29_048_597))


def _name(path):
    return osp.basename(path)[:-3]


def test_every_dataset_has_a_config():
    assert list(map(_name, SIMREC)) == [
        f'simrec_cspdarknet_gru-sa_{name}'
        for name in ('4xb8-15e_mixed-pretrain', '4xb8-25e_flickr30k',
                     '4xb8-25e_refcoco-plus', '4xb8-25e_refcoco',
                     '4xb8-25e_refcocog-umd', '4xb8-25e_referit',
                     'mixed-pretrain-ft_4xb8-25e_refcoco')
    ]
    assert list(map(_name, MCN)) == [
        f'mcn_darknet53_gru-sa_4xb8-39e_{dataset}'
        for dataset in ('refcoco-plus', 'refcoco', 'refcocog-umd')
    ]


@pytest.mark.parametrize('path', SIMREC + MCN, ids=_name)
def test_model_has_the_official_size(path):
    model_cfg = Config.fromfile(path).model
    # no vocabulary or GloVe file is read: V rows
    model_cfg.text_encoder.update(
        vocab_file=None, glove_file=None, vocab_size=V)
    model_cfg.data_preprocessor.tokenizer = None
    model = build_on_meta(model_cfg)
    official = OFFICIAL[model_cfg.type]
    assert sum(p.numel() for p in model.parameters()) == official['params']
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if path.endswith('mixed-pretrain.py'):
        # the pretraining trains the whole backbone
        assert model_cfg.backbone.frozen_stages == -1
        assert trainable == official['params'] - 300 * V
    else:
        assert trainable == official['trainable']
        frozen = dict(SimREC=7, MCN=11)[model_cfg.type]
        assert model_cfg.backbone.frozen_stages == frozen
    assert not model.text_encoder.embedding.weight.requires_grad


def _learning_rates(cfg, epoch_length=10):
    """The lr of every iteration, stepping the schedulers as mmengine's
    ParamSchedulerHook does (iteration-based ones after each iteration,
    epoch-based ones after each epoch)."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [
        PARAM_SCHEDULERS.build(
            dict(scheduler, optimizer=optimizer, epoch_length=epoch_length))
        for scheduler in cfg.param_scheduler
    ]
    rates = []
    for _ in range(cfg.train_cfg.max_epochs):
        for _ in range(epoch_length):
            rates.append(optimizer.param_groups[0]['lr'])
            for scheduler in schedulers:
                if not scheduler.by_epoch:
                    scheduler.step()
        for scheduler in schedulers:
            if scheduler.by_epoch:
                scheduler.step()
    return rates


@pytest.mark.parametrize('path', SIMREC + MCN, ids=_name)
def test_official_recipe(path):
    cfg = Config.fromfile(path)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.betas, optimizer.eps,
            optimizer.weight_decay) == ('Adam', 1e-4, (0.9, 0.98), 1e-9, 0)
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.15, norm_type=2)
    assert cfg.train_dataloader.batch_size * 4 == 32
    assert cfg.auto_scale_lr.base_batch_size == 32
    # per iteration: a linear warmup over 3 epochs, then the decay
    rates = _learning_rates(cfg)
    assert rates[3 * 10] == pytest.approx(1e-4)
    assert max(rates) == pytest.approx(1e-4)
    emas = [h for h in cfg.get('custom_hooks', []) if h.type == 'EMAHook']
    if cfg.model.type == 'SimREC':
        assert cfg.train_cfg.max_epochs == (
            15 if path.endswith('mixed-pretrain.py') else 25)
        assert rates[0] == pytest.approx(1e-7)
        assert all(a < b for a, b in zip(rates[:29], rates[1:30]))
        # cosine to 1e-6 over the remaining epochs
        assert all(a >= b for a, b in zip(rates[30:], rates[31:]))
        assert rates[-1] == pytest.approx(1e-6, rel=5e-2)
        middle = (len(rates) + 30) // 2
        assert rates[middle] == pytest.approx((1e-4 + 1e-6) / 2, rel=2e-2)
        # d = min(0.9997, (t + 1) / (t + 10)) over parameters and buffers
        assert emas == [
            dict(
                type='EMAHook',
                ema_type='RampUpEMA',
                momentum=0.0003,
                priority=49)
        ]
    else:
        assert cfg.train_cfg.max_epochs == 39
        assert rates[0] < 1e-6
        # x0.2 at epochs 30, 35 and 37
        for epoch, rate in ((29, 1e-4), (30, 2e-5), (34, 2e-5), (35, 4e-6),
                            (37, 8e-7), (38, 8e-7)):
            assert rates[epoch * 10] == pytest.approx(rate), epoch
        assert not emas


@pytest.mark.parametrize('path', SIMREC + MCN, ids=_name)
def test_official_data_and_evaluation(path):
    cfg = Config.fromfile(path)
    preprocessor = cfg.model.data_preprocessor
    # inputs in [0, 1], RGB; one input size per batch from 224 to 608
    assert (preprocessor.mean, preprocessor.std) == ([0.] * 3, [255.] * 3)
    assert preprocessor.bgr_to_rgb
    assert preprocessor.tokenizer.max_length == 15
    assert preprocessor.batch_augments == [
        dict(type='BatchMultiScaleResize', sizes=list(range(224, 609, 32)))
    ]
    for split in ('train', 'val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        assert dict(type='LetterBox', size=416, pad_val=127) in pipeline
    # one training sample per referred object, with a random expression
    assert cfg.train_dataloader.dataset.sampling == 'ref'
    evaluators = cfg.val_evaluator
    if cfg.model.type == 'SimREC':
        assert evaluators == dict(type='RECMetric', strict=True)
    else:
        load = cfg.train_dataloader.dataset.pipeline[1]
        assert load == dict(type='LoadVGAnnotations', with_mask=True)
        types = [evaluator.type for evaluator in evaluators]
        assert types == ['RECMetric', 'RESMetric', 'InconsistencyErrorMetric']
        assert evaluators[0].strict and evaluators[2].box_strict


@pytest.mark.parametrize('path', SIMREC + MCN, ids=_name)
def test_distributed_training_as_the_official(path):
    """The official training wraps the model in DDP with
    find_unused_parameters=True: the pyramid's unused outputs and the
    GARAN map convs get no gradient. MCN converts BatchNorm to SyncBN."""
    cfg = Config.fromfile(path)
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', find_unused_parameters=True)
    assert cfg.get('sync_bn') == ('torch' if 'mcn' in path else None)
