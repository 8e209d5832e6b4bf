# Copyright (c) mmvg contributors. All rights reserved.
"""FSDPStrategy's optimizer building on the quick starts' tiny models, in
one process (a gloo group of one rank)."""
import copy
import re

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmvg.registry import MODELS, STRATEGIES
from mmvg.testing import free_port, get_config_path, get_grounder_cfg
from mmvg.utils import register_all_modules

register_all_modules()
TINY = dict(
    vltvg='_base_/models/vltvg_r18-tiny.py',
    lavt='_base_/models/lavt_swin-tiny.py')

# A custom key across a wrap unit's boundary (FSDP inserts
# ``_fsdp_wrapped_module`` after ``layer.1.``), plus module- and name-based
# rules.
PARAMWISE_CFG = dict(
    custom_keys={
        'backbone': dict(lr_mult=0.1),
        'text_encoder.bert.encoder.layer.1.attention': dict(lr_mult=0.),
    },
    norm_decay_mult=0.,
    bias_decay_mult=0.)
OPTIM_WRAPPER = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1),
    paramwise_cfg=PARAMWISE_CFG)
BLOCKS = dict(
    auto_wrap_policy=dict(
        type='wrap_by_class',
        module_classes=('BertLayer', 'DetrTransformerEncoderLayer')),
    use_orig_params=True)


@pytest.fixture
def one_rank_group(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '0')
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{free_port()}',
        rank=0,
        world_size=1)
    yield
    dist.destroy_process_group()


def _model_cfg(model):
    cfg = get_grounder_cfg(TINY[model])
    if model == 'vltvg':
        # the leaf configs' frozen ResNet stem and first stage
        cfg.backbone.frozen_stages = 1
    return cfg


def _options(optimizer, named_parameters):
    """(lr, weight decay) of every parameter, by name without wrappers."""
    names = {
        id(param): re.sub(r'_fsdp_wrapped_module\.', '', name)
        for name, param in named_parameters
    }
    return {
        names[id(param)]: (group['lr'], group['weight_decay'])
        for group in optimizer.param_groups
        for param in group['params']
    }


def _prepare(strategy_type, model_wrapper, optim_wrapper, model_cfg):
    strategy = STRATEGIES.build(
        dict(
            type=strategy_type,
            model_wrapper=model_wrapper,
            state_dict_cfg='full'))
    model, optim_wrapper = strategy.prepare(
        copy.deepcopy(model_cfg),
        optim_wrapper=copy.deepcopy(optim_wrapper),
        dispatch_kwargs=dict(max_iters=1, max_epochs=1))
    assert type(model).__name__ == 'MMFullyShardedDataParallel'
    return model, optim_wrapper


def test_fsdp_optimizer_keeps_paramwise_options(one_rank_group):
    """mmengine issue 1032: the optimizer is built from the wrapped model."""
    model_cfg = _model_cfg('vltvg')
    reference = MODELS.build(model_cfg)
    expected = _options(
        build_optim_wrapper(reference, copy.deepcopy(OPTIM_WRAPPER)).optimizer,
        reference.named_parameters())
    # the frozen stem is left out, the cross-boundary key takes effect
    assert len(expected) == sum(p.requires_grad
                                for p in reference.parameters())
    assert expected['text_encoder.bert.encoder.layer.1.attention.self.'
                    'query.weight'] == (0., 0.1)

    model, optim_wrapper = _prepare('FSDPStrategy', BLOCKS, OPTIM_WRAPPER,
                                    model_cfg)
    wrapped = dict(model.named_parameters())
    assert any('_fsdp_wrapped_module.text_encoder' in k for k in wrapped)
    # the optimizer holds the wrapped model's parameters, not the originals
    wrapped_ids = {id(p) for p in wrapped.values()}
    assert all(
        id(p) in wrapped_ids for group in optim_wrapper.optimizer.param_groups
        for p in group['params'])
    assert _options(optim_wrapper.optimizer,
                    model.named_parameters()) == expected


def test_mmengine_fsdp_strategy_loses_paramwise_options(one_rank_group):
    # the breakage mmvg's strategy fixes (still in mmengine 0.10.7)
    model_cfg = _model_cfg('vltvg')
    model, optim_wrapper = _prepare('mmengine.FSDPStrategy', BLOCKS,
                                    OPTIM_WRAPPER, model_cfg)
    options = _options(optim_wrapper.optimizer, model.named_parameters())
    assert options['text_encoder.bert.encoder.layer.1.attention.self.'
                   'query.weight'] == (1e-3, 0.1)


def test_fsdp_flat_parameters():
    # With use_orig_params=False FSDP (on 2 or more ranks) replaces the
    # parameters by flat ones whose names match none of the model's.
    strategy = STRATEGIES.build(dict(type='FSDPStrategy'))
    model = nn.Sequential(nn.Linear(2, 2))
    strategy.id_to_name = {id(p): n for n, p in model.named_parameters()}
    wrapped = nn.Module()
    wrapped._flat_param = nn.Parameter(torch.zeros(6))
    # one group over the whole model: the flat parameters are optimized
    optimizer = torch.optim.AdamW(model.parameters())
    strategy._move_param_groups(optimizer, wrapped)
    assert optimizer.param_groups[0]['params'][0] is wrapped._flat_param
    # param-wise options cannot apply to flat parameters: refused
    optimizer = torch.optim.AdamW(
        [dict(params=[model[0].weight]),
         dict(params=[model[0].bias], lr=0.)])
    with pytest.raises(ValueError, match='use_orig_params=True'):
        strategy._move_param_groups(optimizer, wrapped)


@pytest.mark.parametrize('leaf, tiny', [
    ('vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_fsdp.py', 'vltvg'),
    ('lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_fsdp.py', 'lavt'),
])
def test_fsdp_leaf_config_builds_paramwise_optimizer(one_rank_group, leaf,
                                                     tiny):
    """The FSDP leaves' own optimizer and size-based wrapping, on the tiny
    model of the same architecture."""
    cfg = Config.fromfile(get_config_path(leaf))
    model_wrapper = cfg.strategy.model_wrapper.to_dict()
    assert model_wrapper['use_orig_params']
    # the tiny model is far below the leaf's 1e7 threshold: a smaller one
    # makes nested shard units, whose names FSDP rewrites
    model_wrapper['auto_wrap_policy']['min_num_params'] = int(1e4)
    optim_cfg = cfg.optim_wrapper.to_dict()
    model_cfg = _model_cfg(tiny)
    reference = MODELS.build(model_cfg)
    expected = _options(
        build_optim_wrapper(reference, copy.deepcopy(optim_cfg)).optimizer,
        reference.named_parameters())
    frozen = {
        n
        for n, p in reference.named_parameters() if not p.requires_grad
    }

    model, optim_wrapper = _prepare('FSDPStrategy', model_wrapper, optim_cfg,
                                    model_cfg)
    assert any('_fsdp_wrapped_module.' in n
               for n, _ in model.named_parameters())
    options = _options(optim_wrapper.optimizer, model.named_parameters())
    assert options == expected
    assert not frozen & set(options)
    base_lr = optim_cfg['optimizer']['lr']
    base_decay = optim_cfg['optimizer']['weight_decay']
    if tiny == 'vltvg':
        # ResNet's stem and first stage are frozen and left out
        assert 'backbone.conv1.weight' in frozen
        assert any(n.startswith('backbone.layer1.') for n in frozen)
        assert options['backbone.layer3.0.conv1.weight'] == pytest.approx(
            (0.1 * base_lr, base_decay))
        assert options['text_encoder.bert.encoder.layer.1.attention.self.'
                       'query.weight'] == pytest.approx(
                           (0.1 * base_lr, base_decay))
        assert options['decoder.layers.0.ffn.layers.1.weight'] == (base_lr,
                                                                   base_decay)
        # clip_grad=dict(max_norm=0.1): clipped by the global norm
        assert '_clip_grad' in vars(optim_wrapper)
    else:
        # lr_mult=0: left out of the optimizer, under FSDP too
        assert 'text_encoder.bert.embeddings.word_embeddings.weight' in frozen
        assert options['backbone.norm0.weight'] == (base_lr, 0.)
