# Copyright (c) mmvg contributors. All rights reserved.
"""LAVT's simple top-down mask decoder."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmvg.registry import MODELS
from ..utils import crop_to_image, mask_to_box, masks_to_original
from .base_vg_head import BaseVGHead, gt_mask_union


@MODELS.register_module()
class LAVTMaskHead(BaseVGHead):
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

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor]:
        """Decode the stage maps into mask logits.

        Reads ``feats['visual_feats']`` (the stage maps, finest first) and
        ``feats['batch_input_shape']`` ((H, W) of the padded input).

        Returns:
            tuple[Tensor]: Logits (B, 2, H, W); channel 1 is foreground.
        """
        maps = feats['visual_feats']
        x = maps[-1]
        for fuse, lateral in zip(self.fuse_layers, reversed(maps[:-1])):
            if x.shape[-2:] != lateral.shape[-2:]:
                x = F.interpolate(
                    x,
                    size=lateral.shape[-2:],
                    mode='bilinear',
                    align_corners=True)
            x = fuse(torch.cat([x, lateral], dim=1))
        logits = self.conv_seg(x)
        return (F.interpolate(
            logits,
            size=tuple(feats['batch_input_shape']),
            mode='bilinear',
            align_corners=True), )

    def loss_by_feat(self, logits: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Compute the mask losses against the union of the gt masks.

        Args:
            logits (Tensor): Logits of shape (B, 2, H_pad, W_pad).
            batch_gt_instances (list[InstanceData]): ``masks`` in the input
                frame.
            batch_img_metas (list[dict]): Metainfo.

        Returns:
            dict[str, Tensor]: ``loss_ce`` and/or ``loss_dice``.
        """
        labels = self.get_targets(logits, batch_gt_instances,
                                  batch_img_metas).long()
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

    def get_targets(self, logits: Tensor,
                    batch_gt_instances: List[InstanceData],
                    batch_img_metas: List[dict]) -> Tensor:
        """The union of each sample's gt masks, padded to the logits.

        Returns:
            Tensor: (B, H_pad, W_pad) bool.
        """
        return gt_mask_union(batch_gt_instances, batch_img_metas,
                             logits.shape[-2:],
                             type(self).__name__, logits.device)

    def predict_by_feat(self,
                        logits: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """Turn logits into one mask per sample.

        Args:
            logits (Tensor): Logits of shape (B, 2, H_pad, W_pad).
            batch_img_metas (list[dict]): Metainfo.
            rescale (bool): ``masks``/``bboxes`` in the original image
                (True) or in the input frame over ``img_shape``.

        Returns:
            list[InstanceData]: Per sample, one instance with ``scores``,
            ``masks`` (1, H, W), ``bboxes`` (1, 4) and ``input_masks``
            (1, h, w), the mask in the input frame (flip kept, as its GT
            is) for the input-resolution RES protocol.
        """
        results = []
        for logit, meta in zip(logits, batch_img_metas):
            input_logit = crop_to_image(logit, meta)
            result = InstanceData()
            result.input_masks = (input_logit.argmax(dim=0) == 1)[None]
            result.scores = input_logit.softmax(dim=0)[1].max().reshape(1)
            if rescale:
                mask = masks_to_original(logit, meta).argmax(dim=0) == 1
                result.masks = mask[None]
            else:
                result.masks = result.input_masks
            result.bboxes = mask_to_box(result.masks[0])[None]
            results.append(result)
        return results
