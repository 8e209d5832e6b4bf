# Copyright (c) mmvg contributors. All rights reserved.
"""Predictions back to the original image: the one place that undoes the
test-time geometry (drop the padding, flip, resize, clip).

The pipeline records the geometry in the metainfo: ``img_shape`` (the
resized image inside the padded input), ``pad_param`` (optional: the
padding above, below, left and right of it, mmyolo's order; the image
sits at the top-left when absent), ``flip``/``flip_direction`` (applied
after the resize) and ``scale_factor`` (w, h) = input / original.
Heads call these functions when ``rescale=True``; the data preprocessor
and the grounders build their padding masks with :func:`padding_mask`.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _flip_direction(meta: dict):
    """The flip to undo, or None."""
    if not meta.get('flip', False):
        return None
    direction = meta.get('flip_direction') or 'horizontal'
    if direction not in ('horizontal', 'vertical', 'diagonal'):
        raise ValueError(f'Unknown flip_direction "{direction}"')
    return direction


def pad_offset(meta: dict) -> Tuple[float, float]:
    """(top, left) of the image inside the padded input, in input pixels.

    Fractional after a batch resize (:class:`BatchMultiScaleResize`).
    """
    if meta.get('pad_param') is None:
        return 0.0, 0.0
    top, _, left, _ = (float(v) for v in meta['pad_param'])
    return top, left


def image_window(meta: dict) -> Tuple[int, int, int, int]:
    """(top, left, height, width) of the image inside the padded input,
    in whole input pixels: the region that is not padding."""
    top, left = pad_offset(meta)
    img_h, img_w = meta['img_shape'][:2]
    return round(top), round(left), int(img_h), int(img_w)


def padding_mask(meta: dict, pad_shape: Tuple[int, int],
                 device: torch.device) -> Tensor:
    """The (H, W) bool mask of a padded input, True on padding pixels
    (DETR's convention); no padding when the metainfo has no
    ``img_shape``."""
    if 'img_shape' not in meta:
        return torch.zeros(tuple(pad_shape), dtype=torch.bool, device=device)
    mask = torch.ones(tuple(pad_shape), dtype=torch.bool, device=device)
    top, left, img_h, img_w = image_window(meta)
    mask[top:top + img_h, left:left + img_w] = False
    return mask


def boxes_to_original(bboxes: Tensor, meta: dict) -> Tensor:
    """Map xyxy boxes from the network input frame to the original image:
    move them by the padding offset, clip to ``img_shape``, undo the flip
    and the resize, clip to ``ori_shape``.

    Args:
        bboxes (Tensor): (K, 4) xyxy boxes in input pixels.
        meta (dict): The sample's metainfo.

    Returns:
        Tensor: (K, 4) xyxy boxes in original pixels, clipped to
        ``ori_shape``.
    """
    img_h, img_w = meta['img_shape'][:2]
    top, left = pad_offset(meta)
    bboxes = bboxes - bboxes.new_tensor([left, top, left, top])
    bboxes[:, 0::2] = bboxes[:, 0::2].clamp(min=0, max=img_w)
    bboxes[:, 1::2] = bboxes[:, 1::2].clamp(min=0, max=img_h)
    direction = _flip_direction(meta)
    if direction in ('horizontal', 'diagonal'):
        bboxes[:, 0::2] = img_w - bboxes[:, [2, 0]]
    if direction in ('vertical', 'diagonal'):
        bboxes[:, 1::2] = img_h - bboxes[:, [3, 1]]
    if 'scale_factor' in meta:
        w_scale, h_scale = meta['scale_factor'][:2]
        bboxes = bboxes / bboxes.new_tensor(
            [w_scale, h_scale, w_scale, h_scale])
    if 'ori_shape' in meta:
        ori_h, ori_w = meta['ori_shape'][:2]
        bboxes[:, 0::2] = bboxes[:, 0::2].clamp(min=0, max=ori_w)
        bboxes[:, 1::2] = bboxes[:, 1::2].clamp(min=0, max=ori_h)
    return bboxes


def crop_to_image(maps: Tensor, meta: dict) -> Tensor:
    """Drop the padding of (C, H_pad, W_pad) maps: (C, h, w) of
    ``img_shape``, still in the (possibly flipped) input frame."""
    top, left, img_h, img_w = image_window(meta)
    return maps[..., top:top + img_h, left:left + img_w]


def masks_to_original(maps: Tensor, meta: dict) -> Tensor:
    """Map per-pixel maps from the network input frame to the original
    image.

    Pass scores or logits, not binary masks: they are resized bilinearly
    (``align_corners=False``) and thresholded by the caller, which keeps
    the mask's edge where the scores cross.

    Args:
        maps (Tensor): (C, H_pad, W_pad) float maps over the padded input.
        meta (dict): The sample's metainfo.

    Returns:
        Tensor: (C, H_ori, W_ori) maps over the original image.
    """
    maps = crop_to_image(maps, meta)
    direction = _flip_direction(meta)
    if direction in ('horizontal', 'diagonal'):
        maps = maps.flip(-1)
    if direction in ('vertical', 'diagonal'):
        maps = maps.flip(-2)
    return F.interpolate(
        maps[None],
        size=tuple(meta['ori_shape'][:2]),
        mode='bilinear',
        align_corners=False)[0]


def mask_to_box(mask: Tensor) -> Tensor:
    """The tight xyxy box of a (H, W) bool mask; zeros when it is empty.

    Pixel ``x`` spans ``[x, x + 1)``, so a one-pixel mask at (x, y) gives
    ``[x, y, x + 1, y + 1]``.
    """
    ys, xs = torch.nonzero(mask, as_tuple=True)
    if ys.numel() == 0:
        return mask.new_zeros(4, dtype=torch.float32)
    return torch.stack([xs.min(),
                        ys.min(),
                        xs.max() + 1,
                        ys.max() + 1]).float()
