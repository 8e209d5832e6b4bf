# Copyright (c) mmvg contributors. All rights reserved.
import warnings

from mmengine.config import Config


def setup_amp(cfg: Config) -> None:
    """Switch a config to automatic mixed precision, as ``--amp`` asks.

    Args:
        cfg (Config): The config, changed in place.

    Raises:
        ValueError: For a DeepSpeed strategy, whose precision is set by
            ``fp16``/``bf16`` in the strategy rather than by the optimizer
            wrapper, so ``--amp`` would conflict with it; and for Horovod's
            float16 gradient compression.
    """
    strategy = cfg.get('strategy') or {}
    if 'DeepSpeed' in str(strategy.get('type', '')):
        raise ValueError(
            '--amp conflicts with the DeepSpeed strategy: DeepSpeed sets '
            'mixed precision itself. Set strategy.fp16.enabled or '
            'strategy.bf16.enabled in the config instead of passing --amp.')
    if 'Horovod' in str(strategy.get('type', '')) and strategy.get(
            'fp16_compression', False):
        raise ValueError(
            '--amp conflicts with HorovodStrategy(fp16_compression=True): '
            'the float16 allreduce would carry loss-scaled gradients, which '
            'overflow float16. Drop one of them.')
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        warnings.warn('AMP training is already enabled in the config.')
        return
    if optim_wrapper != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper type OptimWrapper, '
                         f'but the config has {optim_wrapper}.')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
