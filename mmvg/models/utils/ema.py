# Copyright (c) mmvg contributors. All rights reserved.
from typing import Optional

import torch
from mmengine.model import BaseAveragedModel
from torch import Tensor, nn

from mmvg.registry import MODELS


@MODELS.register_module()
class RampUpEMA(BaseAveragedModel):
    """Exponential moving average whose decay ramps up with the number of
    updates, over parameters and buffers (SimREC's EMA; TensorFlow's
    ``ExponentialMovingAverage`` with ``num_updates``).

    The ``t``-th update (``t = 0`` first) computes, for every floating
    point parameter and buffer,

    ``avg = d * avg + (1 - d) * x`` with ``d = min(1 - momentum,
    (t + 1) / (t + 10))``.

    The average starts from the model as it is when the averaged model is
    built (the initial weights, under ``EMAHook``: ``before_run``), and
    the first update already averages (``d = 0.1``). mmengine's averaged
    models copy the model at their first update instead, and
    ``MomentumAnnealingEMA``'s ramp ``gamma / (gamma + t)`` cannot give
    ``9 / (t + 10)``, hence this class. Integer buffers (BatchNorm's
    ``num_batches_tracked``) are copied, not averaged: a truncated average
    of a counter means nothing.

    Use it through mmengine's ``EMAHook``, which evaluates and saves the
    averaged weights (``state_dict``; the training weights go to
    ``ema_state_dict``)::

        custom_hooks = [dict(type='EMAHook', ema_type='RampUpEMA',
                             momentum=0.0003, priority=49)]

    Args:
        model (nn.Module): The model to average.
        momentum (float): ``1 - decay`` once the ramp is over (mmengine's
            convention); SimREC's decay 0.9997 is momentum 0.0003.
            Defaults to 0.0003.
        device (torch.device, optional): Where to keep the average.
            Defaults to None (the model's device).
        update_buffers (bool): Average the buffers as well; otherwise they
            are copied from the model. Defaults to True.
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 0.0003,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = True) -> None:
        super().__init__(
            model, interval=1, device=device, update_buffers=update_buffers)
        if not 0.0 < momentum < 1.0:
            raise ValueError(f'momentum must be in (0, 1), got {momentum}')
        self.momentum = momentum

    def decay(self, steps: int) -> float:
        """The decay of the update that follows ``steps`` updates."""
        return min(1.0 - self.momentum, (steps + 1) / (steps + 10))

    def avg_func(self, averaged_param: Tensor, source_param: Tensor,
                 steps: int) -> None:
        """``averaged_param = d * averaged_param + (1 - d) * source``, in
        place."""
        decay = self.decay(steps)
        averaged_param.mul_(decay).add_(source_param, alpha=1.0 - decay)

    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model`` into the copy (one update).

        Args:
            model (nn.Module): The trained model.
        """
        steps = int(self.steps)
        source = (
            model.state_dict()
            if self.update_buffers else dict(model.named_parameters()))
        for name, averaged in self.avg_parameters.items():
            value = source[name].detach().to(averaged.device)
            if averaged.dtype.is_floating_point:
                self.avg_func(averaged.data, value, steps)
            else:
                averaged.data.copy_(value)
        if not self.update_buffers:
            for averaged, buffer in zip(self.module.buffers(),
                                        model.buffers()):
                averaged.data.copy_(buffer.detach().to(averaged.device))
        self.steps += 1
