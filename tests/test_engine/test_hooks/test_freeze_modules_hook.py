# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
from mmengine._strategy import FSDPStrategy
from mmengine.optim import OptimWrapper
from torch import nn

from mmvg.engine.hooks import FreezeModulesHook
from mmvg.testing import consolidate, get_grounder_cfg, run_tool

SCALE_OUT_DIR = osp.abspath(
    osp.join(osp.dirname(__file__), '..', '..', 'data', 'scale_out'))


def _runner(model, epoch):
    return SimpleNamespace(model=model, epoch=epoch, logger=MagicMock())


def test_freezes_then_releases_only_trainable_params():
    model = nn.Module()
    model.backbone = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model.head = nn.Linear(2, 2)
    model.backbone[0].weight.requires_grad_(False)  # frozen for good
    hook = FreezeModulesHook(modules=['backbone'], freeze_epochs=2)

    hook.before_train(_runner(model, 0))
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert model.head.weight.requires_grad
    hook.after_train_epoch(_runner(model, 0))  # epoch 1 of 2: still frozen
    assert not model.backbone[1].weight.requires_grad
    hook.after_train_epoch(_runner(model, 1))  # end of epoch 2: released
    assert model.backbone[1].weight.requires_grad
    assert model.backbone[0].bias.requires_grad
    assert not model.backbone[0].weight.requires_grad


def test_resume_after_freeze_keeps_modules_trainable():
    model = nn.Module()
    model.backbone = nn.Linear(2, 2)
    hook = FreezeModulesHook(modules=['backbone'], freeze_epochs=2)
    hook.before_train(_runner(model, 5))
    assert model.backbone.weight.requires_grad


class _FakeFSDPStrategy(FSDPStrategy):
    """An FSDPStrategy type without a process group, for the checks."""

    def __init__(self) -> None:
        pass


def _strategy_runner(model, optimizer, strategy):
    runner = _runner(model, 0)
    runner.strategy = strategy
    runner.optim_wrapper = OptimWrapper(optimizer=optimizer)
    return runner


def _two_part_model():
    torch.manual_seed(0)
    model = nn.Module()
    model.backbone = nn.Linear(2, 2)
    model.head = nn.Linear(2, 2)
    return model


def test_sharded_strategy_freezes_exactly_and_keeps_optimizer_state():
    model = _two_part_model()
    groups = [dict(params=[p]) for p in model.parameters()]
    optimizer = torch.optim.AdamW(groups, lr=0.1, weight_decay=0.5)
    runner = _strategy_runner(model, optimizer, _FakeFSDPStrategy())
    hook = FreezeModulesHook(modules=['backbone'], freeze_epochs=1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    hook.before_train(runner)
    for _ in range(2):
        model.head(model.backbone(torch.ones(1, 2))).sum().backward()
        runner.optim_wrapper.step()
        runner.optim_wrapper.zero_grad()
    for key in ('backbone.weight', 'backbone.bias'):
        torch.testing.assert_close(
            model.state_dict()[key], before[key], rtol=0, atol=0)
    assert not torch.equal(model.head.weight, before['head.weight'])
    # every parameter has a state, as FSDP.optim_state_dict requires
    assert len(optimizer.state) == 4
    hook.after_train_epoch(runner)
    assert [g['weight_decay'] for g in optimizer.param_groups] == [0.5] * 4
    assert not any('frozen_weight_decay' in g for g in optimizer.param_groups)
    model.head(model.backbone(torch.ones(1, 2))).sum().backward()
    runner.optim_wrapper.step()
    assert not torch.equal(model.backbone.weight, before['backbone.weight'])


def test_sharded_strategy_refuses_mixed_group_with_weight_decay():
    model = _two_part_model()
    optimizer = torch.optim.AdamW(model.parameters(), weight_decay=0.01)
    runner = _strategy_runner(model, optimizer, _FakeFSDPStrategy())
    hook = FreezeModulesHook(modules=['backbone'], freeze_epochs=1)
    with pytest.raises(ValueError, match='_FakeFSDPStrategy.*paramwise_cfg'):
        hook.before_train(runner)


def test_unknown_strategy_refused():
    model = _two_part_model()
    runner = _strategy_runner(model,
                              torch.optim.SGD(model.parameters(), lr=0.1),
                              object())
    hook = FreezeModulesHook(modules=['backbone'], freeze_epochs=1)
    with pytest.raises(ValueError, match='does not support object'):
        hook.before_train(runner)


# Two epochs of 2 iterations on 2 processes, the encoders frozen for the
# first; each parameter in its own group (paramwise_cfg), as in the VLTVG
# configs.
_FREEZE_CONFIG = """
_base_ = ['{base}']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
train_cfg = dict(
    _delete_=True, type='EpochBasedTrainLoop', max_epochs=2,
    val_interval=100)
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
model = dict(init_cfg=dict(type='Pretrained', checkpoint='{pretrained}'))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
custom_hooks = [
    dict(
        type='FreezeModulesHook',
        modules=['backbone', 'text_encoder'],
        freeze_epochs=1)
]
"""


@pytest.mark.parametrize('config', [
    'vltvg_tiny_deepspeed_zero2.py', 'vltvg_tiny_deepspeed_zero3.py',
    'vltvg_tiny_fsdp_blocks.py'
])
def test_frozen_under_strategy_then_released(config, tmp_path):
    """DeepSpeed would decay the frozen weights, FSDP fail to save them."""
    from mmvg.registry import MODELS
    from mmvg.utils import register_all_modules
    register_all_modules()
    model = MODELS.build(get_grounder_cfg('_base_/models/vltvg_r18-tiny.py'))
    generator = torch.Generator().manual_seed(1)
    pretrained = {
        name: torch.randn(param.shape, generator=generator) * 0.05
        for name, param in model.named_parameters()
    }
    torch.save(dict(state_dict=pretrained), tmp_path / 'pretrained.pth')
    (tmp_path / 'freeze.py').write_text(
        _FREEZE_CONFIG.format(
            base=osp.join(SCALE_OUT_DIR, config),
            pretrained=tmp_path / 'pretrained.pth'))
    run_tool([
        'tools/train.py',
        str(tmp_path / 'freeze.py'), '--work-dir',
        str(tmp_path)
    ],
             nproc=2)
    first = consolidate(str(tmp_path / 'epoch_1.pth'))['state_dict']
    second = consolidate(str(tmp_path / 'epoch_2.pth'))['state_dict']
    for key, value in pretrained.items():
        frozen = key.startswith(('backbone.', 'text_encoder.'))
        assert torch.equal(first[key].float(), value) == frozen, key
    # trained after release: the backbone by Adam steps of about lr, far
    # above weight decay's drift; the tiny text encoder's gradients are too
    # small for that, but every one of its weights moves
    backbone = [key for key in pretrained if key.startswith('backbone.')]
    assert max(
        (second[key] - first[key]).abs().max() for key in backbone) > 1e-4
    assert all(not torch.equal(second[key], first[key]) for key in first
               if key.startswith('text_encoder.'))
