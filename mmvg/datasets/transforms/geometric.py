# Copyright (c) mmvg contributors. All rights reserved.
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import Pad, RandomFlip, Resize

from mmvg.registry import TRANSFORMS
from .loading import proposals_frame
from .text import swap_left_right


def _moved_proposals(results: dict) -> None:
    """Record that the proposals now match the image
    (:func:`~mmvg.datasets.transforms.loading.proposals_frame`)."""
    results['proposals_frame'] = proposals_frame(results)


@TRANSFORMS.register_module()
class RandomFlipVG(RandomFlip):
    """mmdet's ``RandomFlip`` that also swaps left and right in the text.

    Only horizontal flips are allowed: a vertical flip would need the
    same care for "top"/"bottom"/"above"... which no grounding recipe
    uses. Place it before tokenization. Proposals
    (``LoadVGProposals``) flip with the boxes.

    Args:
        prob (float): Flip probability. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5, **kwargs) -> None:
        direction = kwargs.pop('direction', 'horizontal')
        if direction != 'horizontal':
            raise ValueError('RandomFlipVG only flips horizontally, got '
                             f'direction={direction!r}')
        super().__init__(prob=prob, direction=direction, **kwargs)

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        if 'text' in results:
            results['text'] = swap_left_right(results['text'])
        if results.get('proposals') is not None:
            results['proposals'].flip_(results['img_shape'],
                                       results['flip_direction'])
            _moved_proposals(results)


@TRANSFORMS.register_module()
class VGResize(Resize):
    """mmdet's ``Resize`` that also resizes the proposals
    (``LoadVGProposals``), which mmdet's leaves to its
    ``ProposalBroadcaster`` wrapper. Same arguments."""

    def _resize_bboxes(self, results: dict) -> None:
        super()._resize_bboxes(results)
        proposals = results.get('proposals')
        if proposals is not None:
            proposals.rescale_(results['scale_factor'])
            if self.clip_object_border:
                proposals.clip_(results['img_shape'])
            _moved_proposals(results)


@TRANSFORMS.register_module()
class RandomCropKeepTarget(BaseTransform):
    """Randomly crop the image so that every target box stays whole.

    The crop side is a random share of the image side in
    ``ratio_range``, enlarged where needed to hold the union of the target
    boxes; its position is drawn among those that contain that union.
    Boxes are shifted and masks cropped. Meant for training only: the
    crop offset is not recorded for mapping predictions back.

    Args:
        ratio_range (tuple[float, float]): Crop side / image side.
            Defaults to (0.5, 1.0).
        prob (float): Probability of cropping. Defaults to 0.5.
    """

    def __init__(self,
                 ratio_range: Tuple[float, float] = (0.5, 1.0),
                 prob: float = 0.5) -> None:
        if not 0 < ratio_range[0] <= ratio_range[1] <= 1:
            raise ValueError(f'Bad ratio_range {ratio_range}')
        self.ratio_range = ratio_range
        self.prob = prob

    @staticmethod
    def _window(size: int, lo: float, hi: float, want: int) -> Tuple[int, int]:
        """Pick a [start, end) window of about ``want`` pixels in
        [0, size) covering [lo, hi)."""
        lo_i, hi_i = int(np.floor(lo)), int(np.ceil(hi))
        length = min(size, max(want, hi_i - lo_i))
        first = max(0, hi_i - length)
        last = min(lo_i, size - length)
        start = int(np.random.randint(first, max(first, last) + 1))
        return start, start + length

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        height, width = img.shape[:2]
        boxes = results['gt_bboxes']
        if len(boxes):
            union = boxes.tensor.numpy()
            x1, y1 = union[:, :2].min(0)
            x2, y2 = union[:, 2:].max(0)
        else:
            x1 = y1 = float('inf')
            x2 = y2 = float('-inf')
        ratio = np.random.uniform(*self.ratio_range)
        cx1, cx2 = self._window(width, min(x1, width), max(x2, 0),
                                int(width * ratio))
        cy1, cy2 = self._window(height, min(y1, height), max(y2, 0),
                                int(height * ratio))
        results['img'] = img[cy1:cy2, cx1:cx2]
        results['img_shape'] = results['img'].shape[:2]
        boxes.translate_([-cx1, -cy1])
        boxes.clip_(results['img_shape'])
        if 'gt_masks' in results:
            results['gt_masks'] = results['gt_masks'].crop(
                np.array([cx1, cy1, cx2, cy2]))
        proposals = results.get('proposals')
        if proposals is not None:
            proposals.translate_([-cx1, -cy1])
            proposals.clip_(results['img_shape'])
            keep = (proposals.widths > 0) & (proposals.heights > 0)
            results['proposals'] = proposals[keep]
            results['proposals_scores'] = \
                results['proposals_scores'][keep.numpy()]
            _moved_proposals(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratio_range={self.ratio_range}, '
                f'prob={self.prob})')


@TRANSFORMS.register_module()
class LargeScaleJitter(BaseTransform):
    """SimVG's large-scale jitter: rescale, and zoom in by a crop that keeps
    most of the target.

    The image is rescaled, keeping its ratio, so that its longer side is
    ``r * out_max_size`` with ``r`` uniform in ``jitter_range``. When
    ``r > 1`` a window the size the image has at ``r = 1`` is cut out of
    it: random windows are drawn, ``num_tries`` per threshold, until one
    covers at least that share of the target's area (the union of the gt
    boxes), the thresholds tried from the highest. If none does, the best
    window drawn is cut out when it covers at least ``min_cover``, else the
    image stays whole. Boxes are scaled, shifted and clipped, masks scaled
    and cropped. A following ``Resize`` brings the image to the network's
    size (SimVG: 640x640 without keeping the ratio). Training only: the
    crop is not recorded for mapping predictions back.

    Args:
        out_max_size (int): Longer side at ``r = 1``. Defaults to 640.
        jitter_range (tuple[float, float]): Range of ``r``. Defaults to
            (0.3, 1.4).
        cover_thrs (tuple[float]): Coverage thresholds, highest first.
            Defaults to (0.9, 0.8, 0.7, 0.6, 0.5).
        min_cover (float): Least coverage of the fallback window. Defaults
            to 0.3.
        num_tries (int): Windows drawn per threshold. Defaults to 100.
    """

    def __init__(self,
                 out_max_size: int = 640,
                 jitter_range: Tuple[float, float] = (0.3, 1.4),
                 cover_thrs: Tuple[float, ...] = (0.9, 0.8, 0.7, 0.6, 0.5),
                 min_cover: float = 0.3,
                 num_tries: int = 100) -> None:
        if not 0 < jitter_range[0] <= jitter_range[1]:
            raise ValueError(f'Bad jitter_range {jitter_range}')
        self.out_max_size = out_max_size
        self.jitter_range = jitter_range
        self.cover_thrs = tuple(sorted(cover_thrs, reverse=True))
        self.min_cover = min_cover
        self.num_tries = num_tries

    def _window(self, size: Tuple[int, int], out: Tuple[int, int],
                target: np.ndarray) -> Optional[np.ndarray]:
        """An (x1, y1, x2, y2) window of ``out`` (w, h) in an image of
        ``size`` (w, h) covering enough of ``target``, or None."""
        area = max((target[2] - target[0]) * (target[3] - target[1]), 1e-6)
        best, best_cover = None, -1.0
        for thr in self.cover_thrs:
            for _ in range(self.num_tries):
                x1 = int(np.random.rand() * (size[0] - out[0]))
                y1 = int(np.random.rand() * (size[1] - out[1]))
                window = np.array([x1, y1, x1 + out[0], y1 + out[1]])
                inter = (np.minimum(window[2:], target[2:]) -
                         np.maximum(window[:2], target[:2])).clip(min=0)
                cover = inter.prod() / area
                if cover >= thr:
                    return window
                if cover > best_cover:
                    best, best_cover = window, cover
        return best if best_cover >= self.min_cover else None

    def transform(self, results: dict) -> dict:
        if results.get('proposals') is not None:
            raise ValueError(f'{type(self).__name__} does not move '
                             'proposals; put it in a pipeline without them')
        img = results['img']
        height, width = img.shape[:2]
        ratio = np.random.uniform(*self.jitter_range)
        scale = ratio * self.out_max_size / max(height, width)
        img = mmcv.imrescale(img, scale, interpolation='bilinear')
        new_h, new_w = img.shape[:2]
        boxes = results.get('gt_bboxes')
        if boxes is not None:
            boxes.rescale_((new_w / width, new_h / height))
        if 'gt_masks' in results:
            results['gt_masks'] = results['gt_masks'].rescale(scale)
        results['img'] = img
        results['img_shape'] = (new_h, new_w)
        if ratio <= 1:
            return results
        out = mmcv.rescale_size((width, height),
                                (self.out_max_size, self.out_max_size))
        if boxes is not None and len(boxes):
            union = boxes.tensor.numpy()
            target = np.concatenate([union[:, :2].min(0), union[:, 2:].max(0)])
        else:
            target = np.array([0, 0, new_w, new_h], dtype=np.float32)
        window = self._window((new_w, new_h), out, target)
        if window is None:
            return results
        x1, y1, x2, y2 = window
        results['img'] = img[y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape[:2]
        if boxes is not None:
            boxes.translate_([-x1, -y1])
            boxes.clip_(results['img_shape'])
        if 'gt_masks' in results:
            results['gt_masks'] = results['gt_masks'].crop(window)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(out_max_size={self.out_max_size}, '
                f'jitter_range={self.jitter_range})')


@TRANSFORMS.register_module()
class VGPad(Pad):
    """mmdet's ``Pad`` that leaves ``img_shape`` as it was.

    mmcv's ``Pad`` sets ``img_shape`` to the padded size; mmvg's data
    contract keeps ``img_shape`` as the size before padding (the valid
    region: the models' pixel masks and the post-processing crop to it)
    and ``pad_shape`` as (h, w) after it. Padding stays bottom-right, so
    ``scale_factor`` alone maps boxes back. mmdet's heads clip boxes to
    the padded ``img_shape``, so this class has its own name: ``Pad``
    stays mmdet's (docs/en/compat.md).
    """

    def transform(self, results: dict) -> dict:
        img_shape = results['img'].shape[:2]
        results = super().transform(results)
        results['img_shape'] = img_shape
        results['pad_shape'] = results['img'].shape[:2]
        return results


@TRANSFORMS.register_module()
class LetterBox(BaseTransform):
    """Resize keeping the aspect ratio so that the long side is ``size``,
    then pad to ``size`` x ``size`` around the image, centred (SimREC's
    and YOLO's letterbox).

    As SimREC's data pipeline does: the short side is
    ``int(size * short / long)`` (truncated), the padding above and to
    the left is half of the padding, rounded down, and the image is resized
    bilinearly (OpenCV). Masks are resized with nearest and padded with 0.
    Boxes are scaled, clipped to the image and moved by the offset.

    Sets ``img_shape`` (the resized image, without padding), ``pad_shape``
    (``size`` x ``size``), ``scale_factor`` (w, h) and ``pad_param``
    (float32 padding above, below, left and right, mmyolo's order): the
    keys with which :mod:`mmvg.models.utils.postprocess` maps predictions
    back and the models mask out the padding. Flip before this transform:
    a flip afterwards would turn the padding around the image.

    Args:
        size (int): Side of the square output. Defaults to 416.
        pad_val (int | float): Value of the padding pixels. Defaults to
            127, SimREC's grey.
        interpolation (str): mmcv's interpolation for the image.
            Defaults to 'bilinear'.
    """

    def __init__(self,
                 size: int = 416,
                 pad_val: float = 127,
                 interpolation: str = 'bilinear') -> None:
        self.size = int(size)
        self.pad_val = pad_val
        self.interpolation = interpolation

    def _resized_shape(self, height: int, width: int) -> Tuple[int, int]:
        """(h, w) of the image inside the square, long side ``size``."""
        aspect = width / height
        if aspect < 1:
            return self.size, max(1, int(self.size * aspect))
        return max(1, int(self.size / aspect)), self.size

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        new_h, new_w = self._resized_shape(height, width)
        top = (self.size - new_h) // 2
        left = (self.size - new_w) // 2
        bottom = self.size - new_h - top
        right = self.size - new_w - left
        img = mmcv.imresize(
            img, (new_w, new_h), interpolation=self.interpolation)
        pad_val = self.pad_val
        if img.ndim == 3:  # OpenCV pads a scalar into channel 0 only
            pad_val = (pad_val, ) * img.shape[2]
        results['img'] = mmcv.impad(
            img, padding=(left, top, right, bottom), pad_val=pad_val)
        w_scale, h_scale = new_w / width, new_h / height
        old_w_scale, old_h_scale = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (old_w_scale * w_scale,
                                   old_h_scale * h_scale)
        results['img_shape'] = (new_h, new_w)
        results['pad_shape'] = (self.size, self.size)
        results['pad_param'] = np.array([top, bottom, left, right],
                                        dtype=np.float32)
        for key in ('gt_bboxes', 'proposals'):
            if results.get(key) is not None:
                boxes = results[key]
                boxes.rescale_((w_scale, h_scale))
                boxes.clip_((new_h, new_w))
                boxes.translate_((left, top))
        if results.get('proposals') is not None:
            _moved_proposals(results)
        if results.get('gt_masks') is not None:
            results['gt_masks'] = results['gt_masks'].resize(
                (new_h, new_w)).expand(self.size, self.size, top, left)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'pad_val={self.pad_val}, '
                f'interpolation={self.interpolation!r})')
