# Copyright (c) mmvg contributors. All rights reserved.
from types import SimpleNamespace
from unittest.mock import MagicMock

from torch import nn

from mmvg.engine.hooks import FreezeModulesHook


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
