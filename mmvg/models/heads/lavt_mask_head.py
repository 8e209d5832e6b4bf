# Copyright (c) mmvg contributors. All rights reserved.
"""LAVT's simple top-down mask decoder."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from mmvg.registry import MODELS
from mmvg.structures import VGDataSample


@MODELS.register_module()
class LAVTMaskHead(BaseModule):
    """Top-down decoder that turns LAVT's four stage maps into a mask.

    Starting from the coarsest map, the running feature is upsampled
    (bilinear, corners aligned) to the next finer map, concatenated with it
    and passed through two 3x3 conv-BN-ReLU layers of ``in_channels[-1] //
    2`` channels; a 1x1 convolution gives two logits (background,
    foreground) at 1/4 of the input, upsampled to the input size.

    Args:
        in_channels (Sequence[int]): Channels of the stage maps, finest
            first. Defaults to Swin-B's (128, 256, 512, 1024).
        norm_cfg (dict): Norm of the conv layers. Defaults to BN (LAVT
            converts it to SyncBN when training on several GPUs; use
            ``dict(type='SyncBN')`` for that).
        loss_ce (dict, optional): The cross-entropy loss over the two
            classes. LAVT uses class weights (0.9, 1.1) and a weighted mean;
            the head passes the summed pixel weights as ``avg_factor`` to
            reproduce it. Defaults to that loss.
        loss_dice (dict, optional): A Dice loss over the softmax of both
            classes (multi-class Dice), e.g. mmdet's ``DiceLoss`` with
            ``activate=False``. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (128, 256, 512, 1024),
                 norm_cfg: dict = dict(type='BN'),
                 loss_ce: Optional[dict] = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     class_weight=[0.9, 1.1],
                     loss_weight=1.0),
                 loss_dice: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss_ce is None and loss_dice is None:
            raise ValueError('LAVTMaskHead needs loss_ce, loss_dice or both')
        self.in_channels = tuple(in_channels)
        hidden = self.in_channels[-1] // 2
        self.fuse_layers = nn.ModuleList()
        above = self.in_channels[-1]
        for lateral in reversed(self.in_channels[:-1]):
            self.fuse_layers.append(
                nn.Sequential(
                    ConvModule(
                        above + lateral,
                        hidden,
                        3,
                        padding=1,
                        norm_cfg=norm_cfg),
                    ConvModule(
                        hidden, hidden, 3, padding=1, norm_cfg=norm_cfg)))
            above = hidden
        self.conv_seg = nn.Conv2d(hidden, 2, 1)
        self.loss_ce = MODELS.build(loss_ce) if loss_ce else None
        self.loss_dice = MODELS.build(loss_dice) if loss_dice else None

    def init_weights(self) -> None:
        """Give the convolutions PyTorch's default initialisation.

        ``ConvModule`` initialises with Kaiming normal; LAVT's decoder keeps
        PyTorch's defaults, which this restores.
        """
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()

    def forward(self, feats: Sequence[torch.Tensor],
                input_size: Tuple[int, int]) -> torch.Tensor:
        """Decode the stage maps into mask logits.

        Args:
            feats (Sequence[Tensor]): Stage maps, finest first.
            input_size (tuple[int, int]): (H, W) of the network input.

        Returns:
            Tensor: Logits of shape (B, 2, H, W); channel 1 is foreground.
        """
        x = feats[-1]
        for fuse, lateral in zip(self.fuse_layers, reversed(feats[:-1])):
            if x.shape[-2:] != lateral.shape[-2:]:
                x = F.interpolate(
                    x,
                    size=lateral.shape[-2:],
                    mode='bilinear',
                    align_corners=True)
            x = fuse(torch.cat([x, lateral], dim=1))
        logits = self.conv_seg(x)
        return F.interpolate(
            logits, size=input_size, mode='bilinear', align_corners=True)

    def loss_by_feat(self, logits: torch.Tensor,
                     gt_masks: torch.Tensor) -> dict:
        """Compute the mask losses.

        Args:
            logits (Tensor): Logits of shape (B, 2, H, W).
            gt_masks (Tensor): Binary targets of shape (B, H, W).

        Returns:
            dict[str, Tensor]: ``loss_ce`` and/or ``loss_dice``.
        """
        labels = gt_masks.long()
        losses = dict()
        if self.loss_ce is not None:
            class_weight = getattr(self.loss_ce, 'class_weight', None)
            if class_weight is None:
                avg_factor = labels.numel()
            else:
                # torch's weighted mean: divide by the summed weights.
                avg_factor = logits.new_tensor(class_weight)[labels].sum()
            losses['loss_ce'] = self.loss_ce(
                logits, labels, avg_factor=avg_factor)
        if self.loss_dice is not None:
            probs = logits.softmax(dim=1).flatten(0, 1)
            one_hot = F.one_hot(labels, 2).permute(0, 3, 1, 2).flatten(0, 1)
            losses['loss_dice'] = self.loss_dice(probs, one_hot)
        return losses

    def predict_by_feat(self,
                        logits: torch.Tensor,
                        batch_data_samples: List[VGDataSample],
                        rescale: bool = True) -> List[InstanceData]:
        """Turn logits into one mask per sample.

        Args:
            logits (Tensor): Logits of shape (B, 2, H_pad, W_pad).
            batch_data_samples (list[VGDataSample]): Samples with
                ``img_shape``, ``ori_shape`` and optional ``flip`` meta.
            rescale (bool): Whether to also map the mask to the original
                image (``masks`` and ``bboxes``). Defaults to True.

        Returns:
            list[InstanceData]: Per sample, one instance with ``scores``,
            ``input_masks`` (1, h, w) in the network-input frame and, when
            ``rescale``, ``masks`` (1, H_ori, W_ori) and ``bboxes`` (1, 4)
            in original image coordinates.
        """
        results = []
        for logit, sample in zip(logits, batch_data_samples):
            meta = sample.metainfo
            h, w = meta['img_shape'][:2]
            logit = logit[:, :h, :w]
            result = InstanceData()
            # The input frame keeps the flip: its GT is flipped too.
            result.input_masks = (logit.argmax(dim=0) == 1)[None]
            result.scores = logit.softmax(dim=0)[1].max().reshape(1)
            if rescale:
                if meta.get('flip', False):
                    if meta.get('flip_direction') not in (None, 'horizontal'):
                        raise ValueError('LAVTMaskHead maps back '
                                         'horizontal flips only')
                    logit = logit.flip(-1)
                ori_logit = F.interpolate(
                    logit[None],
                    size=tuple(meta['ori_shape'][:2]),
                    mode='bilinear',
                    align_corners=False)[0]
                mask = ori_logit.argmax(dim=0) == 1
                result.masks = mask[None]
                result.bboxes = _mask_to_box(mask)[None]
            results.append(result)
        return results


def _mask_to_box(mask: torch.Tensor) -> torch.Tensor:
    """Tight xyxy box of a boolean mask (zeros when the mask is empty)."""
    ys, xs = torch.nonzero(mask, as_tuple=True)
    if ys.numel() == 0:
        return mask.new_zeros(4, dtype=torch.float32)
    return torch.stack([xs.min(),
                        ys.min(),
                        xs.max() + 1,
                        ys.max() + 1]).float()
