# Copyright (c) mmvg contributors. All rights reserved.
import random
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures.mask import BitmapMasks
from mmengine.dist import broadcast, get_dist_info
from torch import Tensor, nn

from mmvg.registry import MODELS
from mmvg.structures import VGSampleList


@MODELS.register_module()
class BatchMultiScaleResize(nn.Module):
    """Multi-scale training per batch: resize the whole padded batch to a
    size drawn from ``sizes`` (SimREC's and the YOLO family's recipe).

    A batch augmentation of :class:`VGDataPreprocessor`
    (``batch_augments=[dict(type='BatchMultiScaleResize', ...)]``); it runs
    in training only. A new size is drawn on rank 0 at the first of every
    ``interval`` batches and broadcast, so that every rank trains at the
    same size. SimREC draws one of 224, 256, ..., 608 for every batch and
    resizes images and masks with nearest (``F.interpolate``'s default).

    Ground truth in the input frame follows the batch: ``gt_instances``
    and ``proposals`` boxes are scaled and ``masks`` resized with nearest
    to the new batch size (padded to the old batch first, so that they
    stay aligned with the image). The geometry in the metainfo is updated
    so that :mod:`mmvg.models.utils.postprocess` still maps the input
    frame to the original image: ``img_shape``, ``pad_shape`` and
    ``pad_param`` are scaled (``pad_param`` stays fractional),
    ``scale_factor`` is multiplied and ``batch_input_shape`` is the new
    size.

    Unlike mmdet's ``BatchSyncRandomResize`` (YOLOX), the size applies to
    the batch it is drawn for, sizes are an explicit list of (h, w), and
    masks and the scale metainfo follow.

    Args:
        sizes (Sequence[int | tuple[int, int]]): Sizes to draw from; an int
            is a square side.
        interval (int): Batches between two draws. Defaults to 1.
        mode (str): ``F.interpolate``'s mode for the images. Defaults to
            'nearest'.
        align_corners (bool, optional): ``F.interpolate``'s
            ``align_corners`` (only for the linear modes). Defaults to
            None.
    """

    def __init__(self,
                 sizes: Sequence[Union[int, Tuple[int, int]]],
                 interval: int = 1,
                 mode: str = 'nearest',
                 align_corners: Optional[bool] = None) -> None:
        super().__init__()
        if not sizes:
            raise ValueError('BatchMultiScaleResize needs at least one size')
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.sizes = [(int(s), int(s)) if np.isscalar(s) else
                      (int(s[0]), int(s[1])) for s in sizes]
        self.interval = interval
        self.mode = mode
        self.align_corners = align_corners
        self._num_batches = 0
        self._size: Optional[Tuple[int, int]] = None

    def _draw_size(self, device: torch.device) -> Tuple[int, int]:
        """A size drawn on rank 0, the same on every rank."""
        size = torch.zeros(2, dtype=torch.long, device=device)
        if get_dist_info()[0] == 0:
            size[:] = torch.tensor(random.choice(self.sizes))
        broadcast(size, 0)
        return int(size[0]), int(size[1])

    def forward(self, inputs: Tensor,
                data_samples: VGSampleList) -> Tuple[Tensor, VGSampleList]:
        """Resize a batch and its samples' geometry and ground truth.

        Args:
            inputs (Tensor): (N, C, H, W) padded batch.
            data_samples (list[VGDataSample]): The batch's samples.

        Returns:
            tuple: The resized inputs and the updated samples.
        """
        if self._num_batches % self.interval == 0:
            self._size = self._draw_size(inputs.device)
        self._num_batches += 1
        batch_shape = tuple(inputs.shape[-2:])
        if self._size == batch_shape:
            return inputs, data_samples
        inputs = F.interpolate(
            inputs,
            size=self._size,
            mode=self.mode,
            align_corners=self.align_corners)
        for sample in data_samples:
            self._rescale_sample(sample, batch_shape)
        return inputs, data_samples

    def _rescale_sample(self, sample, batch_shape: Tuple[int, int]) -> None:
        new_h, new_w = self._size
        h_scale, w_scale = new_h / batch_shape[0], new_w / batch_shape[1]
        meta = sample.metainfo

        def scaled(shape):
            return (round(shape[0] * h_scale), round(shape[1] * w_scale))

        old_w_scale, old_h_scale = meta.get('scale_factor', (1.0, 1.0))[:2]
        updates = dict(
            img_shape=scaled(meta.get('img_shape', batch_shape)),
            pad_shape=scaled(meta.get('pad_shape', batch_shape)),
            batch_input_shape=(new_h, new_w),
            scale_factor=(old_w_scale * w_scale, old_h_scale * h_scale))
        if meta.get('pad_param') is not None:
            updates['pad_param'] = np.asarray(
                meta['pad_param'], dtype=np.float32) * np.array(
                    [h_scale, h_scale, w_scale, w_scale], dtype=np.float32)
        sample.set_metainfo(updates)
        for key in ('gt_instances', 'proposals'):
            if key in sample and 'bboxes' in sample.get(key):
                boxes = sample.get(key).bboxes
                sample.get(key).bboxes = boxes * boxes.new_tensor(
                    [w_scale, h_scale, w_scale, h_scale])
        gt = sample.get('gt_instances')
        if gt is not None and 'masks' in gt:
            gt.masks = self._resize_masks(gt.masks, batch_shape)

    def _resize_masks(self, masks: Union[BitmapMasks, Tensor],
                      batch_shape: Tuple[int, int]):
        """(N, h, w) masks over the old batch's top-left to (N, H', W')
        over the new batch, nearest, in the type they came in."""
        is_bitmap = isinstance(masks, BitmapMasks)
        data = torch.from_numpy(masks.masks) if is_bitmap else masks
        dtype = data.dtype
        height, width = data.shape[-2:]
        if len(data) == 0:  # a no-target sample
            data = data.new_zeros((0, *self._size))
        else:
            data = F.pad(
                data.float(),
                (0, batch_shape[1] - width, 0, batch_shape[0] - height))
            data = F.interpolate(
                data[None], size=self._size, mode='nearest')[0].to(dtype)
        if is_bitmap:
            return BitmapMasks(data.numpy(), *self._size)
        return data

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(sizes={self.sizes}, '
                f'interval={self.interval}, mode={self.mode!r})')
