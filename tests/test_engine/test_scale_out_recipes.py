# Copyright (c) mmvg contributors. All rights reserved.
"""Scale-out recipes in one process: strategy leaf configs, gradient
accumulation and EMA."""
import glob
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from mmvg.registry import MODELS
from mmvg.testing import get_resource_dir
from mmvg.testing.in_memory import InMemoryVGDataset
from mmvg.utils import register_all_modules

DATA_DIR = osp.abspath(osp.join(osp.dirname(__file__), '..', 'data'))

register_all_modules()


def _leaf_configs():
    config_dir = get_resource_dir('configs')
    return sorted(
        glob.glob(osp.join(config_dir, '*', '*deepspeed*.py')) +
        glob.glob(osp.join(config_dir, '*', '*fsdp*.py')))


def test_strategy_leaf_configs():
    configs = _leaf_configs()
    assert len(configs) >= 12
    for path in configs:
        cfg = Config.fromfile(path)
        assert cfg.runner_type == 'FlexibleRunner', path
        strategy = cfg.strategy
        if 'deepspeed' in path:
            assert strategy.type == 'DeepSpeedStrategy'
            stage = 3 if 'zero3' in path else 2
            assert strategy.zero_optimization.stage == stage, path
            bf16 = strategy.get('bf16', {}).get('enabled', False)
            assert bf16 == ('bf16' in path), path
            assert strategy.fp16.enabled == ('bf16' not in path), path
        else:
            assert strategy.type == 'FSDPStrategy'
        # the model's own optimizer wrapper is kept (and converted for
        # DeepSpeed at build time)
        plain = Config.fromfile(path.rsplit('_', 1)[0] + '.py')
        assert cfg.optim_wrapper == plain.optim_wrapper, path


def _model(config, **overrides):
    cfg = Config.fromfile(osp.join(DATA_DIR, 'scale_out', config))
    cfg.model.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _batch(model, indices):
    dataset = InMemoryVGDataset(num_samples=8)
    items = [dataset[i] for i in indices]
    return model.data_preprocessor(
        dict(
            inputs=[item['inputs'] for item in items],
            data_samples=[item['data_samples'] for item in items]), True)


def _loss(model, indices):
    losses = model(**_batch(model, indices), mode='loss')
    return model.parse_losses(losses)[0]


def test_gradient_accumulation_matches_large_batch():
    # no batch-dependent layer in eval mode (BN on running statistics, no
    # dropout) and images of one size; the auxiliary heads average over the
    # cells under the boxes of the whole batch, a normalisation that
    # accumulation cannot reproduce, so they are left out
    model = _model('vltvg_tiny.py', aux_heads=None).eval()
    _loss(model, range(4)).backward()
    full = {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }
    model.zero_grad()
    wrapper = OptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0),
        accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 2)
    for chunk in (range(2), range(2, 4)):
        wrapper.backward(wrapper.scale_loss(_loss(model, chunk)))
    assert wrapper.should_update()
    assert len(full) > 50
    for name, grad in full.items():
        torch.testing.assert_close(
            dict(model.named_parameters())[name].grad,
            grad,
            rtol=1e-5,
            atol=1e-5,
            msg=name)


def test_ema_hook_evaluates_on_ema_weights(tmp_path):
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    seen = {}

    class RecordWeights(Hook):

        def before_val_epoch(self, runner):
            seen['val'] = runner.model.box.weight.detach().clone()

    cfg = Config.fromfile(osp.join(DATA_DIR, 'toy', 'toy_grounder.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.5, priority=49)]
    runner = Runner.from_cfg(cfg)
    runner.register_hook(RecordWeights(), priority='LOW')
    runner.train()
    trained = runner.model.box.weight.detach()
    # mmengine saves the EMA weights as ``state_dict`` (what tools/test.py
    # and load_from then evaluate) and the raw ones as ``ema_state_dict``
    checkpoint = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)
    ema = checkpoint['state_dict']['box.weight']
    torch.testing.assert_close(seen['val'], ema)
    torch.testing.assert_close(
        checkpoint['ema_state_dict']['module.box.weight'], trained)
    assert not torch.allclose(ema, trained)
