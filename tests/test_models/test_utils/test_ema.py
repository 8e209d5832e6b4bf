# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from mmvg.models.utils import RampUpEMA
from mmvg.utils import register_all_modules

register_all_modules()


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def closed_form(states, alpha):
    """The EMA after N updates written out: with d_k = min(alpha,
    k / (k + 9)) the decay of update k (1-based) and w_k the weights after
    optimizer step k (w_0 the initial ones),

    avg_N = (d_1 ... d_N) w_0 + sum_k (1 - d_k) (d_{k+1} ... d_N) w_k.
    """
    num = len(states) - 1
    decays = [min(alpha, k / (k + 9)) for k in range(1, num + 1)]

    def tail(k):  # d_{k+1} ... d_N
        return torch.tensor(decays[k:], dtype=torch.float64).prod().item()

    average = {}
    for name, initial in states[0].items():
        if not initial.dtype.is_floating_point:
            continue
        value = tail(0) * states[0][name].double()
        for k in range(1, num + 1):
            value += (1 - decays[k - 1]) * tail(k) * states[k][name].double()
        average[name] = value
    return average


def _train_step(net, optimizer, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(8, 3, generator=generator) * (1 + seed)
    loss = net(x).pow(2).mean() + net[0].weight.sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def test_parameters_and_buffers_equal_the_closed_form_average():
    net = _net()
    # momentum 0.4: the ramp k / (k + 9) reaches the cap 0.6 at update 14
    ema = RampUpEMA(net, momentum=0.4)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    states = [_state(net)]
    for step in range(16):
        _train_step(net, optimizer, step)
        states.append(_state(net))
        ema.update_parameters(net)
    expected = closed_form(states, alpha=0.6)
    averaged = ema.module.state_dict()
    # the BatchNorm's running statistics are averaged too
    assert {'1.running_mean', '1.running_var', '0.weight'} <= set(expected)
    for name, value in expected.items():
        torch.testing.assert_close(
            averaged[name].double(), value, rtol=1e-5, atol=1e-6)
    # the counter is copied, not averaged
    assert averaged['1.num_batches_tracked'] == 16
    assert int(ema.steps) == 16


def test_decay_ramps_up_to_one_minus_momentum():
    ema = RampUpEMA(_net())  # SimREC's 0.9997
    assert ema.decay(0) == pytest.approx(0.1)
    assert ema.decay(1) == pytest.approx(2 / 11)
    assert ema.decay(29989) < 0.9997
    assert ema.decay(10**6) == pytest.approx(0.9997)
    with pytest.raises(ValueError, match='momentum'):
        RampUpEMA(_net(), momentum=1.5)


def test_without_update_buffers_buffers_follow_the_model():
    net = _net()
    ema = RampUpEMA(net, momentum=0.4, update_buffers=False)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(3):
        _train_step(net, optimizer, step)
        ema.update_parameters(net)
    torch.testing.assert_close(ema.module[1].running_mean, net[1].running_mean)
    assert not torch.allclose(ema.module[0].weight, net[0].weight)


class _TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.net = _net()

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.net(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=out.pow(2).mean() + self.net[0].weight.sum())
        return [dict(out=out)]


class _Recorder(Hook):
    """Keeps the model's weights after every training step and the
    weights the validation ran with."""

    def __init__(self):
        self.train_states, self.val_states = [], []

    def before_train(self, runner):
        self.train_states.append(_state(runner.model))

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.train_states.append(_state(runner.model))

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.val_states.append(_state(runner.model))


class _NoMetric(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        return dict(dummy=0.0)


def test_ema_hook_validates_on_the_averaged_weights(tmp_path):
    data = [dict(inputs=torch.randn(3)) for _ in range(64)]
    loader = dict(
        dataset=data,
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=4,
        collate_fn=dict(type='pseudo_collate'))
    recorder = _Recorder()
    runner = Runner(
        model=_TinyModel(),
        work_dir=str(tmp_path),
        train_dataloader=loader,
        val_dataloader=dict(loader, batch_size=64),
        val_evaluator=Evaluator([_NoMetric()]),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=16, val_interval=16),
        val_cfg=dict(),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[
            dict(
                type='EMAHook',
                ema_type='RampUpEMA',
                momentum=0.4,
                priority=49), recorder
        ],
        default_scope='mmvg')
    runner.train()
    assert len(recorder.train_states) == 17 and recorder.val_states
    expected = closed_form(recorder.train_states, alpha=0.6)
    seen = recorder.val_states[0]
    for name, value in expected.items():
        torch.testing.assert_close(
            seen[name].double(), value, rtol=1e-5, atol=1e-6)
    # after validation the model trains on with its own weights again
    for name, value in _state(runner.model).items():
        torch.testing.assert_close(value, recorder.train_states[-1][name])
