# Copyright (c) mmvg contributors. All rights reserved.
"""Box and mask overlaps, and readers of the evaluation fields.

The readers take one data sample as the evaluator hands it to a metric
(``BaseDataElement.to_dict()``: meta information at the top level,
``pred_instances`` and ``gt_instances`` as dicts) and raise errors that
name the record, so that a broken sample is found without a debugger.
"""
from typing import List, Tuple

import numpy as np
import pycocotools.mask as mask_utils
import torch

from mmvg.models.utils import image_window
from mmvg.structures import record_name


def to_numpy(value) -> np.ndarray:
    """Turn a tensor, a mmdet ``BitmapMasks`` or a sequence into numpy."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        # numpy has no bfloat16; predictions of fp16/bf16 runs are widened
        if value.dtype in (torch.float16, torch.bfloat16):
            value = value.float()
        return value.numpy()
    if hasattr(value, 'to_ndarray'):
        return value.to_ndarray()
    return np.asarray(value)


def box_area(boxes: np.ndarray, offset: float = 0.) -> np.ndarray:
    """Areas of xyxy boxes in pixels, each side ``x2 - x1 + offset`` (no
    +1 by default); degenerate boxes give 0."""
    return (np.clip(boxes[:, 2] - boxes[:, 0] + offset, 0, None) *
            np.clip(boxes[:, 3] - boxes[:, 1] + offset, 0, None))


def box_iou(boxes1: np.ndarray,
            boxes2: np.ndarray,
            mode: str = 'iou',
            offset: float = 0.) -> np.ndarray:
    """Pairwise IoU or generalized IoU of xyxy boxes.

    Coordinates are continuous (no +1), as in COCO and the grounding
    papers, unless ``offset`` is 1: the legacy pixel-inclusive convention
    of Detectron and VL-BERT, where a side spans ``x2 - x1 + 1`` pixels. A
    pair whose union is empty has IoU 0; its GIoU is then 0 too when the
    enclosing box is empty as well.

    Args:
        boxes1 (np.ndarray): (N, 4) boxes.
        boxes2 (np.ndarray): (M, 4) boxes.
        mode (str): ``'iou'`` or ``'giou'``. Defaults to ``'iou'``.
        offset (float): Added to every side length (0 or 1). Defaults
            to 0.

    Returns:
        np.ndarray: (N, M) float64 overlaps.
    """
    if mode not in ('iou', 'giou'):
        raise ValueError(f'mode must be "iou" or "giou", got {mode!r}')
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    area1, area2 = box_area(boxes1, offset), box_area(boxes2, offset)
    lt = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = np.clip(rb - lt + offset, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2[None, :] - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    if mode == 'iou':
        return iou
    lt_c = np.minimum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb_c = np.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh_c = np.clip(rb_c - lt_c + offset, 0, None)
    enclose = wh_c[..., 0] * wh_c[..., 1]
    penalty = np.divide(
        enclose - union,
        enclose,
        out=np.zeros_like(enclose),
        where=enclose > 0)
    return iou - penalty


def iou_hits(ious: np.ndarray, thr: float, strict: bool) -> np.ndarray:
    """Which IoUs reach a threshold (exceed it, when strict)."""
    return ious > thr if strict else ious >= thr


def get_gt_bboxes(data_sample: dict) -> np.ndarray:
    """The (N, 4) ground-truth boxes in original image coordinates."""
    if 'ori_gt_bboxes' not in data_sample:
        raise KeyError('the sample has no `ori_gt_bboxes` (ground-truth '
                       'boxes in original coordinates, set by the dataset): '
                       f'{record_name(data_sample)}')
    return to_numpy(data_sample['ori_gt_bboxes']).astype(np.float64).reshape(
        -1, 4)


def get_pred_bboxes(data_sample: dict) -> Tuple[np.ndarray, np.ndarray]:
    """Predicted boxes and scores, sorted by descending score.

    The sort is stable, so predictions of equal score keep the model's
    order. Without ``scores`` the model's order is kept as it is.

    Returns:
        tuple[np.ndarray, np.ndarray]: (K, 4) float64 boxes and (K, )
        scores in the model's precision.
    """
    pred = data_sample.get('pred_instances')
    if pred is None or 'bboxes' not in pred:
        raise KeyError('the sample has no `pred_instances.bboxes`: '
                       f'{record_name(data_sample)}')
    bboxes = to_numpy(pred['bboxes']).astype(np.float64).reshape(-1, 4)
    if 'scores' in pred:
        # Scores keep their precision: thresholds are compared in it.
        scores = to_numpy(pred['scores']).reshape(-1)
        if not np.issubdtype(scores.dtype, np.floating):
            scores = scores.astype(np.float64)
    else:
        scores = np.zeros(len(bboxes), dtype=np.float32)
    if len(scores) != len(bboxes):
        raise ValueError(f'{len(bboxes)} predicted boxes but {len(scores)} '
                         f'scores: {record_name(data_sample)}')
    order = np.argsort(-scores, kind='stable')
    return bboxes[order], scores[order]


def top1_box_iou(data_sample: dict,
                 gt_bboxes: np.ndarray,
                 offset: float = 0.) -> float:
    """IoU (with :func:`box_iou`'s ``offset``) of the highest-scoring
    predicted box with the best-overlapping ground-truth box; 0 when
    nothing is predicted."""
    pred_bboxes, _ = get_pred_bboxes(data_sample)
    if len(pred_bboxes) == 0:
        return 0.0
    return float(box_iou(pred_bboxes[:1], gt_bboxes, offset=offset).max())


def _top_mask(pred: dict, key: str, shape: Tuple[int, int],
              data_sample: dict) -> np.ndarray:
    """The highest-scoring predicted mask under ``key``, or an empty one.

    Masks must be bool, as the heads predict them: a float map is refused
    rather than binarized by a threshold the metric would have to guess.
    """
    if key not in pred:
        raise KeyError(f'the sample has no `pred_instances.{key}`: '
                       f'{record_name(data_sample)}')
    masks = pred[key]
    if len(masks) == 0:
        return np.zeros(shape, dtype=bool)
    index = 0
    if 'scores' in pred and len(pred['scores']) == len(masks):
        index = int(np.argmax(to_numpy(pred['scores'])))
    mask = to_numpy(masks[index])
    if mask.dtype != bool:
        # A probability or logit map cast to bool would make every
        # non-zero pixel foreground and inflate the union silently.
        raise TypeError(
            f'`pred_instances.{key}` must hold bool masks, got dtype '
            f'{mask.dtype}: threshold probabilities first (e.g. '
            f'`probs > 0.5`): {record_name(data_sample)}')
    return mask


def _gt_rle(data_sample: dict) -> dict:
    """The compressed RLE of ``ori_gt_mask`` (given compressed or not)."""
    rle = data_sample.get('ori_gt_mask')
    if rle is None:
        raise KeyError('the sample has no `ori_gt_mask` (RLE of the '
                       'ground-truth mask at original resolution): '
                       f'{record_name(data_sample)}')
    if isinstance(rle.get('counts'), list):
        height, width = rle['size']
        rle = mask_utils.frPyObjects(rle, height, width)
    return rle


def _input_gt_mask(data_sample: dict) -> np.ndarray:
    """Union of ``gt_instances.masks`` cropped to the image inside the
    padded input (``img_shape`` at the ``pad_param`` offset)."""
    gt_instances = data_sample.get('gt_instances') or {}
    if 'masks' not in gt_instances:
        raise KeyError('the sample has no `gt_instances.masks`, needed '
                       "with resolution='input': "
                       f'{record_name(data_sample)}')
    top, left, h, w = image_window(data_sample)
    gt_masks = to_numpy(gt_instances['masks']).astype(bool)
    # A union over zero masks (no target) is an all-False mask.
    union = gt_masks.reshape(-1, *gt_masks.shape[-2:]).any(axis=0)
    return union[top:top + h, left:left + w]


def mask_counts(data_sample: dict,
                resolution: str = 'original') -> Tuple[int, int, int, int]:
    """Pixel counts of the predicted and the ground-truth mask of a sample.

    With several predicted masks the highest-scoring one is taken; with
    none, the prediction is empty.

    Args:
        data_sample (dict): The sample as the evaluator hands it over.
        resolution (str): ``'original'``: ``pred_instances.masks`` against
            the RLE ``ori_gt_mask`` at the original image size, counted on
            RLEs (the ground truth is never decoded). ``'input'``:
            ``pred_instances.input_masks`` against the union of
            ``gt_instances.masks`` (resized with nearest by the pipeline),
            both in the unpadded network-input frame (``img_shape``);
            padding of the ground truth (bottom-right, or around the
            image after ``LetterBox``) is cropped off.

    Returns:
        tuple[int, int, int, int]: Intersection, union, predicted area and
        ground-truth area, in pixels.

    Raises:
        TypeError: The predicted mask is not bool (a probability map, say),
            naming the record.
    """
    pred = data_sample.get('pred_instances')
    if pred is None:
        raise KeyError('the sample has no `pred_instances`: '
                       f'{record_name(data_sample)}')
    if resolution == 'original':
        gt_rle = _gt_rle(data_sample)
        shape = tuple(gt_rle['size'])
        pred_mask = _top_mask(pred, 'masks', shape, data_sample)
    elif resolution == 'input':
        gt = _input_gt_mask(data_sample)
        shape = gt.shape
        pred_mask = _top_mask(pred, 'input_masks', shape, data_sample)
    else:
        raise ValueError('resolution must be "original" or "input", got '
                         f'{resolution!r}')
    if pred_mask.shape != shape:
        raise ValueError(f'predicted mask of shape {pred_mask.shape} and '
                         f'ground truth of shape {shape} differ '
                         f"(resolution='{resolution}'): "
                         f'{record_name(data_sample)}')
    if resolution == 'original':
        # Encoding the prediction and intersecting RLEs is about twice as
        # fast as decoding the ground truth and counting pixels.
        pred_rle = mask_utils.encode(
            np.asfortranarray(pred_mask).view(np.uint8))
        inter = int(
            mask_utils.area(mask_utils.merge([pred_rle, gt_rle], True)))
        pred_area = int(mask_utils.area(pred_rle))
        gt_area = int(mask_utils.area(gt_rle))
    else:
        inter = int(np.count_nonzero(np.logical_and(pred_mask, gt)))
        pred_area = int(np.count_nonzero(pred_mask))
        gt_area = int(np.count_nonzero(gt))
    return inter, pred_area + gt_area - inter, pred_area, gt_area


def count_targets(data_sample: dict, gt_area: int) -> int:
    """Number of targets: the ground-truth boxes, else 0/1 from the mask."""
    if data_sample.get('ori_gt_bboxes') is not None:
        return len(get_gt_bboxes(data_sample))
    if data_sample.get('no_target', False):
        return 0
    return int(gt_area > 0)


def mask_record(data_sample: dict, resolution: str) -> dict:
    """The mask part of a sample's record: ``inter`` and ``union`` pixel
    counts (see :func:`mask_counts`) and ``num_targets``."""
    inter, union, _, gt_area = mask_counts(data_sample, resolution)
    return dict(
        inter=inter,
        union=union,
        num_targets=count_targets(data_sample, gt_area))


def mask_ious(records: List[dict],
              empty_union_iou: float) -> Tuple[np.ndarray, ...]:
    """Intersections, unions and IoUs of :func:`mask_record` records.

    Args:
        records (list[dict]): Records with ``inter`` and ``union``.
        empty_union_iou (float): The IoU of a record with an empty union.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: float64 intersections,
        unions and IoUs, one per record.
    """
    inter = np.array([r['inter'] for r in records], dtype=np.float64)
    union = np.array([r['union'] for r in records], dtype=np.float64)
    ious = np.full_like(inter, empty_union_iou)
    np.divide(inter, union, out=ious, where=union > 0)
    return inter, union, ious
