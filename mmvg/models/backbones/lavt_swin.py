# Copyright (c) mmvg contributors. All rights reserved.
"""LAVT's language-aware Swin Transformer.

mmdet's :class:`SwinTransformer` supplies the patch embedding, the Swin
blocks and the patch merging; this subclass adds, at the end of every stage
and before its patch merging, a pixel-word attention module (PWAM) and a
language gate, so that language is fused into the visual stream early.
"""
from collections import OrderedDict
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.models.backbones import SwinTransformer
from mmengine.logging import MMLogger
from mmengine.model import ModuleList
from mmengine.model.weight_init import (constant_init, trunc_normal_,
                                        trunc_normal_init)
from mmengine.runner.checkpoint import CheckpointLoader

from mmvg.registry import MODELS
from ..layers.lavt_pwam import LAVTPWAM, LAVTLanguageGate


def check_window_size(state_dict: dict, window_size: int, source: str) -> None:
    """Refuse a Swin state dict whose attention windows differ from ours.

    The relative position bias table of a window of size ``w`` has
    ``(2w - 1) ** 2`` rows. LAVT is trained with windows of 12 (the
    ImageNet-22k 384 checkpoint); loading a window-7 checkpoint silently
    would change the model, so it is refused rather than interpolated.

    Args:
        state_dict (dict): The state dict to check.
        window_size (int): The window size of the model.
        source (str): What the state dict is, for the error message.

    Raises:
        ValueError: If any relative position bias table has another size.
    """
    expected = (2 * window_size - 1)**2
    for key, value in state_dict.items():
        if 'relative_position_bias_table' not in key:
            continue
        if value.shape[0] != expected:
            found = (int(round(value.shape[0]**0.5)) + 1) // 2
            raise ValueError(
                f'{source}: "{key}" has {value.shape[0]} rows, i.e. window '
                f'size {found}, but the model uses window size '
                f'{window_size} ({expected} rows). Use a checkpoint with '
                f'window size {window_size} (e.g. '
                'swin_base_patch4_window12_384_22k.pth for LAVT) or set the '
                'backbone window_size to match; relative position tables '
                'are not interpolated.')


@MODELS.register_module()
class LAVTSwinTransformer(SwinTransformer):
    """Swin Transformer with LAVT's PWAM and language gate in each stage.

    In every stage the Swin blocks run first; then the PWAM fuses the words
    into the visual features, its output ``f`` is (after the stage's output
    norm) the stage's feature map for the decoder, and the visual stream
    continues as ``x + gate(f) * f`` into the patch merging.

    Args:
        lang_channels (int): Channels of the word features. Defaults to 768.
        pwam_num_heads (Sequence[int]): Heads of each stage's PWAM.
            Defaults to (1, 1, 1, 1).
        pwam_dropout (float): Dropout in the PWAMs. Defaults to 0.
        **kwargs: Arguments of mmdet's :class:`SwinTransformer`
            (``embed_dims``, ``depths``, ``num_heads``, ``window_size``,
            ``drop_path_rate``, ``init_cfg``, ...). With ``init_cfg =
            dict(type='Pretrained', checkpoint=...)`` the checkpoint must
            hold mmvg keys prefixed ``backbone.`` (see
            ``tools/model_converters/swin_to_mmvg_lavt.py``).
    """

    def __init__(self,
                 lang_channels: int = 768,
                 pwam_num_heads: Sequence[int] = (1, 1, 1, 1),
                 pwam_dropout: float = 0.,
                 **kwargs) -> None:
        if kwargs.get('convert_weights'):
            raise ValueError(
                'LAVTSwinTransformer loads mmvg keys only; convert the '
                'Swin checkpoint with '
                'tools/model_converters/swin_to_mmvg_lavt.py')
        super().__init__(**kwargs)
        if len(pwam_num_heads) != len(self.stages):
            raise ValueError(f'pwam_num_heads has {len(pwam_num_heads)} '
                             f'entries for {len(self.stages)} stages')
        self.window_size = self.stages[0].blocks[0].attn.window_size
        self.pwams = ModuleList()
        self.lang_gates = ModuleList()
        for channels, heads in zip(self.num_features, pwam_num_heads):
            self.pwams.append(
                LAVTPWAM(
                    channels=channels,
                    lang_channels=lang_channels,
                    num_heads=heads,
                    dropout=pwam_dropout))
            self.lang_gates.append(LAVTLanguageGate(channels))

    def init_weights(self) -> None:
        """Initialise as LAVT does, then load a pretrained Swin if given.

        Every linear layer of the Swin and the gates gets a truncated normal
        (std 0.02) and every LayerNorm ones and zeros, the relative position
        tables a truncated normal; the PWAMs keep PyTorch's default
        initialisation (that of LAVT's 1x1 convolutions). A pretrained
        checkpoint then overwrites what it holds (the PWAMs and gates keep
        their initialisation).
        """
        pwam_modules = set(self.pwams.modules())
        for m in self.modules():
            if m in pwam_modules:
                continue
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=.02, bias=0.)
            elif isinstance(m, nn.LayerNorm):
                constant_init(m, 1.0)
        for name, param in self.named_parameters():
            if name.endswith('relative_position_bias_table'):
                trunc_normal_(param, std=.02)
        if self.init_cfg is None:
            return
        logger = MMLogger.get_current_instance()
        checkpoint = self.init_cfg['checkpoint']
        ckpt = CheckpointLoader.load_checkpoint(
            checkpoint, logger=logger, map_location='cpu')
        ckpt = ckpt.get('state_dict', ckpt)
        state_dict = OrderedDict((k[len('backbone.'):], v)
                                 for k, v in ckpt.items()
                                 if k.startswith('backbone.'))
        if not state_dict:
            raise ValueError(f'{checkpoint}: no "backbone." keys; convert '
                             'it with tools/model_converters/'
                             'swin_to_mmvg_lavt.py first')
        check_window_size(state_dict, self.window_size, checkpoint)
        missing, unexpected = self.load_state_dict(state_dict, strict=False)
        if unexpected:
            raise ValueError(f'{checkpoint}: unexpected backbone keys '
                             f'{unexpected[:5]}')
        logger.info(f'Loaded {len(state_dict)} backbone tensors from '
                    f'{checkpoint}; {len(missing)} left initialised '
                    '(PWAMs and language gates)')

    def forward(self, x: torch.Tensor, lang: torch.Tensor,
                lang_mask: torch.Tensor) -> List[torch.Tensor]:
        """Extract language-aware multi-scale features.

        Args:
            x (Tensor): Images of shape (B, 3, H, W).
            lang (Tensor): Word features of shape (B, L, C_l).
            lang_mask (Tensor): 1 for real words, 0 for padding, (B, L).

        Returns:
            list[Tensor]: One (B, C_i, H_i, W_i) map per ``out_indices``.
        """
        x, hw_shape = self.patch_embed(x)
        if self.use_abs_pos_embed:
            x = x + self.absolute_pos_embed
        x = self.drop_after_pos(x)

        outs = []
        for i, stage in enumerate(self.stages):
            x, out, out_hw_shape, hw_shape = self._stage_forward(
                i, stage, x, hw_shape, lang, lang_mask)
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(out)
                out = out.view(-1, *out_hw_shape, self.num_features[i])
                outs.append(out.permute(0, 3, 1, 2).contiguous())
        return outs

    def _stage_forward(
        self, index: int, stage: nn.Module, x: torch.Tensor,
        hw_shape: Tuple[int, int], lang: torch.Tensor, lang_mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, Tuple[int, int], Tuple[int, int]]:
        """Run one stage: Swin blocks, PWAM + gate, patch merging."""
        for block in stage.blocks:
            x = block(x, hw_shape)
        fused = self.pwams[index](x, lang, lang_mask)
        x = x + self.lang_gates[index](fused) * fused
        out_hw_shape = hw_shape
        if stage.downsample is not None:
            x, hw_shape = stage.downsample(x, hw_shape)
        return x, fused, out_hw_shape, hw_shape
