# Copyright (c) mmvg contributors. All rights reserved.
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmvg.testing import build_on_meta, get_config_path
from mmvg.utils import register_all_modules

register_all_modules()

# The official LAVT optimizer (train.py) holds Swin-B, the PWAMs, the
# decoder and BERT-base without its embeddings and layers 10-11.
OFFICIAL_NUM_TRAINED = 189_726_586

# The official VLTVG optimizer (train.py) by lr: the decoder (with the
# verification and language-guided context modules), box MLP and BERT
# projection at 1e-4; ResNet-50, the DETR encoder with its input
# projection, and BERT-base at 1e-5.
OFFICIAL_VLTVG_NUMEL_BY_LR = {1e-4: 10_725_126, 1e-5: 140_539_136}


def trained_params(optim_wrapper):
    return [
        p for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    ]


def paper_recipe(config: str):
    """A paper config's model (on the meta device, no BERT files) and its
    optimizer wrapper."""
    cfg = Config.fromfile(get_config_path(config))
    cfg.model.text_encoder.pretrained = None
    model = build_on_meta(cfg.model)
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def test_lavt_recipe_trains_what_the_official_optimizer_trains():
    model, optim_wrapper = paper_recipe(
        'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco.py')
    trained = trained_params(optim_wrapper)
    assert sum(p.numel() for p in trained) == OFFICIAL_NUM_TRAINED
    trained_ids = {id(p) for p in trained}
    untrained = [
        name for name, p in model.named_parameters()
        if id(p) not in trained_ids
    ]
    assert untrained and all(
        name.startswith(('text_encoder.bert.embeddings.',
                         'text_encoder.bert.encoder.layer.10.',
                         'text_encoder.bert.encoder.layer.11.'))
        for name in untrained)
    assert not any(p.requires_grad for name, p in model.named_parameters()
                   if name in untrained)


def test_vltvg_recipe_gives_each_part_the_official_lr():
    model, optim_wrapper = paper_recipe(
        'vltvg/vltvg_r50_bert-base_4xb16-90e_refcoco.py')
    numel_by_lr, base_lr_ids = {}, set()
    for group in optim_wrapper.optimizer.param_groups:
        lr = round(group['lr'], 10)
        numel_by_lr[lr] = numel_by_lr.get(lr, 0) + sum(
            p.numel() for p in group['params'])
        if lr == 1e-4:
            base_lr_ids.update(id(p) for p in group['params'])
    assert numel_by_lr == OFFICIAL_VLTVG_NUMEL_BY_LR
    assert all(
        id(p) in base_lr_ids for p in model.context_encoder.parameters())


class TwoPart(nn.Module):

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8))
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.encoder(x))


def optim_cfg(constructor, lr=1e-2):
    return dict(
        constructor=constructor,
        optimizer=dict(type='AdamW', lr=lr, weight_decay=0.1),
        paramwise_cfg=dict(custom_keys={
            'encoder.0': dict(lr_mult=0.),
            'encoder.1': dict(decay_mult=0.)
        }))


def train(model, optim_wrapper, steps=3):
    torch.manual_seed(1)
    for _ in range(steps):
        loss = model(torch.randn(5, 4)).square().mean()
        optim_wrapper.update_params(loss)


def test_untrained_params_left_out_with_identical_updates():
    torch.manual_seed(0)
    reference, model = TwoPart(), TwoPart()
    model.load_state_dict(reference.state_dict())
    start = copy.deepcopy(reference.state_dict())
    train(
        reference,
        build_optim_wrapper(reference,
                            optim_cfg('DefaultOptimWrapperConstructor')))
    optim_wrapper = build_optim_wrapper(model,
                                        optim_cfg('VGOptimWrapperConstructor'))
    assert not model.encoder[0].weight.requires_grad
    expected = [*model.encoder[1].parameters(), *model.head.parameters()]
    assert {id(p)
            for p in trained_params(optim_wrapper)} == set(map(id, expected))
    train(model, optim_wrapper)
    for key, value in model.state_dict().items():
        assert torch.equal(value, reference.state_dict()[key]), key
    assert torch.equal(model.encoder[0].weight, start['encoder.0.weight'])
    assert not torch.equal(model.head.weight, start['head.weight'])
    assert len(optim_wrapper.optimizer.state) == 4


@pytest.mark.parametrize('paramwise_cfg', [None, dict(bias_lr_mult=2.)])
def test_nothing_left_out_without_lr_zero(paramwise_cfg):
    model = TwoPart()
    cfg = dict(
        constructor='VGOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=1e-2),
        paramwise_cfg=paramwise_cfg)
    optim_wrapper = build_optim_wrapper(model, cfg)
    assert len(trained_params(optim_wrapper)) == 6
    assert all(p.requires_grad for p in model.parameters())


def test_base_lr_zero_leaves_every_group_in():
    model = TwoPart()
    optim_wrapper = build_optim_wrapper(
        model, optim_cfg('VGOptimWrapperConstructor', lr=0.))
    assert len(trained_params(optim_wrapper)) == 6
