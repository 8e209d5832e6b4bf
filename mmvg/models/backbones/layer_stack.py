# Copyright (c) mmvg contributors. All rights reserved.
"""The base of SimREC's and MCN's plain layer-stack backbones."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule


class LayerStackBackbone(BaseModule):
    """Runs a stack of layers in order and returns some of their outputs.

    SimREC's CSPDarkNet and MCN's DarkNet-53 are one ``nn.Sequential`` /
    ``nn.ModuleList`` each; subclasses build it and call
    :meth:`_freeze_and_check`. Freezing follows the official code: the
    parameters of layers ``0..frozen_stages`` stop receiving gradients, but
    their BatchNorm layers stay in train mode (running statistics keep
    updating), unlike mmdet's backbones, which put frozen stages in eval
    mode.

    Args:
        out_indices (Sequence[int]): Indices of the layers whose outputs
            :meth:`forward` returns, in increasing order.
        frozen_stages (int): Layers ``0..frozen_stages`` are frozen; -1
            freezes nothing.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 out_indices: Sequence[int],
                 frozen_stages: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages

    @property
    def layers(self) -> Sequence[nn.Module]:
        """The stack of layers, in the order they run."""
        raise NotImplementedError

    def _freeze_and_check(self) -> None:
        """Validate ``out_indices``/``frozen_stages``, drop the layers
        after the last output (a truncated backbone holds no parameters it
        never runs) and freeze layers."""
        num_layers = len(self.layers)
        if (not self.out_indices
                or list(self.out_indices) != sorted(set(self.out_indices))
                or not all(0 <= i < num_layers for i in self.out_indices)):
            raise ValueError(
                f'{type(self).__name__}: out_indices must be increasing '
                f'layer indices in [0, {num_layers - 1}], got '
                f'{self.out_indices}')
        if not -1 <= self.frozen_stages < num_layers:
            raise ValueError(
                f'{type(self).__name__}: frozen_stages must be in '
                f'[-1, {num_layers - 1}], got {self.frozen_stages}')
        del self.layers[self.out_indices[-1] + 1:]
        for layer in self.layers[:self.frozen_stages + 1]:
            for param in layer.parameters():
                param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Run the layers.

        Args:
            x (Tensor): Images, (B, 3, H, W).

        Returns:
            tuple[Tensor]: The outputs of the layers in ``out_indices``.
        """
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
