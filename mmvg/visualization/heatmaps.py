# Copyright (c) mmvg contributors. All rights reserved.
"""Heat maps (``pred_heatmaps``) mapped onto the drawn image and coloured.

A grounder stores each map as a float (h, w) tensor in [0, 1] over the
padded network input (``batch_input_shape``), at any resolution: a feature
map's, say. The same geometry as the predictions brings it back to the
original image (:func:`mmvg.models.utils.masks_to_original`).
"""
from typing import Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from mmvg.models.utils import masks_to_original
from mmvg.structures import record_name


def heatmap_to_frame(heatmap, meta: dict, image_shape: Tuple[int, int],
                     frame: str, key: str) -> np.ndarray:
    """Map a heat map over the padded batch input onto the drawn image.

    Args:
        heatmap (Tensor | np.ndarray): A float (h, w) map in [0, 1] over the
            padded batch input, at any resolution.
        meta (dict): The sample's metainfo, with ``batch_input_shape``.
        image_shape (tuple[int, int]): (H, W) of the drawn image.
        frame (str): ``'original'``: the image is the original one (undo
            padding, resize and flip). ``'input'``: it is the sample's
            padded network input, at the top left of the batch input.
        key (str): The map's name, for error messages.

    Returns:
        np.ndarray: A float32 (H, W) map, clipped to [0, 1].
    """
    heat = torch.as_tensor(heatmap).detach().cpu().float()
    if heat.ndim != 2:
        raise ValueError(f'pred_heatmaps[{key!r}] must be a (h, w) map, got '
                         f'shape {tuple(heat.shape)}: {record_name(meta)}')
    if 'batch_input_shape' not in meta:
        raise KeyError('pred_heatmaps need `batch_input_shape` in the '
                       'metainfo (set by the data preprocessor) to place '
                       f'the maps: {record_name(meta)}')
    heat = F.interpolate(
        heat[None, None],
        size=tuple(meta['batch_input_shape']),
        mode='bilinear',
        align_corners=False)[0]
    if frame == 'original':
        heat = masks_to_original(heat, meta)
    else:
        heat = heat[:, :image_shape[0], :image_shape[1]]
    if tuple(heat.shape[1:]) != tuple(image_shape):
        raise ValueError(
            f'pred_heatmaps[{key!r}] maps to {tuple(heat.shape[1:])} but '
            f'the image is {tuple(image_shape)} (ori_shape '
            f'{meta.get("ori_shape")}): {record_name(meta)}')
    return heat[0].clamp(0, 1).numpy()


def overlay_heatmap(image: np.ndarray, heat: np.ndarray,
                    alpha: float) -> np.ndarray:
    """Blend a [0, 1] map, coloured with the jet colour map, on an RGB
    image (``alpha``: the map's weight)."""
    levels = np.round(heat * 255).astype(np.uint8)
    colored = cv2.applyColorMap(levels, cv2.COLORMAP_JET)[..., ::-1]
    blended = (1 - alpha) * image.astype(np.float32) + alpha * colored
    return blended.round().astype(np.uint8)
