# Copyright (c) mmvg contributors. All rights reserved.
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmvg.testing import (demo_vg_inputs, get_config_path, get_grounder_cfg,
                          get_resource_dir)

# the model configs; the strategy leaves (``*_deepspeed-*``, ``*_fsdp*``,
# ``*_horovod``) only add a strategy and are checked with the scale-out
# and Horovod tests
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(get_resource_dir('configs'), 'lavt', '*swin-b*.py'))
    if not any(s in p for s in ('deepspeed', 'fsdp', 'horovod')))


def test_all_datasets_and_variants_present():
    names = {osp.basename(p)[:-3] for p in CONFIGS}
    for dataset in ('refcoco', 'refcoco-plus', 'refcocog-umd',
                    'refcocog-google'):
        for model in ('lavt_swin-b_bert-base', 'lavt-one_swin-b_bert-base',
                      'lavt-one_swin-b_bert-base_dice'):
            assert f'{model}_8xb4-40e_{dataset}' in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_official_settings(path):
    cfg = Config.fromfile(path)
    model = cfg.model
    assert model.type == ('LAVTOne' if 'lavt-one' in path else 'LAVT')
    assert model.backbone.window_size == 12
    assert model.backbone.embed_dims == 128
    assert model.backbone.depths == (2, 2, 18, 2)
    # LAVT cuts the ids after 20, [SEP] of long expressions included
    tokenizer = model.data_preprocessor.tokenizer
    assert (tokenizer.max_length, tokenizer.truncation) == (20, 'ids')
    assert not any(t.type == 'Tokenize' for t in cfg.train_pipeline)
    resize = [t for t in cfg.train_pipeline if t.type == 'Resize'][0]
    assert resize.scale == (480, 480) and not resize.keep_ratio
    assert cfg.train_cfg.max_epochs == 40
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.optimizer.lr == 5e-5
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-2
    assert cfg.param_scheduler[0].type == 'PolyLR'
    assert cfg.train_dataloader.batch_size * 8 == 32
    assert cfg.val_evaluator.resolution == 'input'
    checkpoint = cfg.default_hooks.checkpoint
    assert (checkpoint.save_best, checkpoint.rule) == ('res/oIoU', 'greater')
    head = model.head
    if 'dice' in path:
        assert head.loss_ce is None and head.loss_dice.type == 'DiceLoss'
    else:
        assert head.loss_ce.class_weight == [0.9, 1.1]
    dataset = osp.basename(path)[:-3].split('-40e_')[1]
    ann = cfg.train_dataloader.dataset.ann_file
    assert ann.endswith('_train.json')
    assert dataset.replace('-plus', '+').replace('-', '_') in ann


def test_optimizer_groups_follow_lavt():
    from mmengine.optim import build_optim_wrapper

    from mmvg.registry import MODELS
    from mmvg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(CONFIGS[-1])
    model = MODELS.build(get_grounder_cfg('_base_/models/lavt_swin-tiny.py'))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    groups = {
        names[id(p)]: group
        for group in wrapper.optimizer.param_groups
        for p in group['params']
    }

    def lr_wd(name):
        return groups[name]['lr'], groups[name]['weight_decay']

    # lr 0: left out of the optimizer (VGOptimWrapperConstructor)
    embedding = 'text_encoder.bert.embeddings.word_embeddings.weight'
    assert embedding not in groups
    assert not dict(model.named_parameters())[embedding].requires_grad
    assert lr_wd(
        'text_encoder.bert.encoder.layer.0.output.LayerNorm.weight') == (5e-5,
                                                                         1e-2)
    assert lr_wd('backbone.stages.0.blocks.0.norm1.weight') == (5e-5, 0)
    assert lr_wd('backbone.stages.0.blocks.0.attn.w_msa.'
                 'relative_position_bias_table') == (5e-5, 0)
    assert lr_wd('backbone.pwams.0.vis_proj.weight') == (5e-5, 1e-2)
    assert lr_wd('head.fuse_layers.0.0.bn.weight') == (5e-5, 1e-2)


def test_synthetic_config_trains_one_step():
    from mmengine.optim import build_optim_wrapper

    from mmvg.registry import MODELS
    from mmvg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(
        get_config_path(
            'lavt/lavt_swin-tiny_bert-tiny_1xb16-3000i_synthetic.py'))
    assert cfg.train_cfg.max_iters * cfg.train_dataloader.batch_size == 48000
    cfg.model.data_preprocessor.tokenizer = None
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = demo_vg_inputs(image_shapes=((96, 96), ), with_mask=True)
    for sample in batch['data_samples']:
        sample.tokens = dict(
            input_ids=torch.randint(1, 20, (6, )),
            attention_mask=torch.ones(6, dtype=torch.long))
    log_vars = model.train_step(batch, wrapper)
    assert torch.isfinite(log_vars['loss'])
