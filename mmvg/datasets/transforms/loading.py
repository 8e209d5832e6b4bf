# Copyright (c) mmvg contributors. All rights reserved.
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from pycocotools import mask as mask_utils

from mmvg.registry import TRANSFORMS
from mmvg.structures import record_name


def decode_rle(rle: Optional[dict], height: int, width: int) -> np.ndarray:
    """Decode a COCO RLE (``counts`` str or bytes) to a uint8 (H, W) mask;
    None gives an empty mask."""
    if rle is None:
        return np.zeros((height, width), np.uint8)
    return mask_utils.decode(rle).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadVGImage(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` whose failures name the record.

    Same arguments and results. mmcv reports an image its decoder cannot
    read as ``failed to load image: <path>``, and a zero-byte file as a
    bare ``cv2.error``, naming no record; here any failure to read or
    decode raises one error naming the file and the record (``sent_id``,
    ``ref_id``, ...). A missing file raises ``FileNotFoundError``, any
    other failure ``OSError``; the decoder's own error is chained.
    ``ignore_empty`` behaves as in mmcv.
    """

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return super().transform(results)
        except Exception as e:  # the decoders raise assorted types
            if isinstance(e, AssertionError):
                # mmcv asserts that the decoder returned an image.
                reason = 'the decoder returned no image: truncated or corrupt'
            else:
                lines = str(e).strip().splitlines()
                reason = lines[-1] if lines else type(e).__name__
            error = FileNotFoundError if isinstance(
                e, FileNotFoundError) else OSError
            raise error(f'Cannot load image {results.get("img_path")} '
                        f'({reason}); record {record_name(results)}.') from e


@TRANSFORMS.register_module()
class LoadVGAnnotations(BaseTransform):
    """Load the ground truth of a canonical record.

    Required keys: ``bboxes`` (list of xyxy), ``height``, ``width``,
    ``no_target``; ``mask`` (RLE or None) with ``with_mask``.

    Added keys:

    - ``gt_bboxes`` (HorizontalBoxes): the N target boxes (N may be 0).
    - ``gt_bboxes_labels`` (np.int64 (N, )): zeros (one class, "target"),
      or with ``with_category`` the record's ``category_id`` for every
      target.
    - ``gt_ignore_flags`` (bool (N, )): all False.
    - ``gt_masks`` (BitmapMasks, with ``with_mask``): N masks, each the
      union of all targets, so that mmdet's geometric transforms, which
      index masks along with boxes, stay consistent; RES models read
      ``masks[0]``.
    - ``ori_gt_bboxes`` (np.float32 (N, 4)) and ``ori_gt_mask`` (RLE or
      None): the ground truth in original coordinates for the metrics.

    Args:
        with_mask (bool): Decode the mask. A record with a target but no
            mask then raises an error naming the record. Defaults to False.
        with_category (bool): Label the targets with the record's
            ``category_id`` (the dataset's own ids, e.g. COCO's 1-90), for
            a category loss. A record with a target but no category then
            raises an error naming the record. Defaults to False.
    """

    def __init__(self,
                 with_mask: bool = False,
                 with_category: bool = False) -> None:
        self.with_mask = with_mask
        self.with_category = with_category

    def transform(self, results: dict) -> dict:
        boxes = np.asarray(results.get('bboxes', []),
                           np.float32).reshape(-1, 4)
        results['gt_bboxes'] = HorizontalBoxes(boxes)
        results['gt_bboxes_labels'] = np.zeros(len(boxes), np.int64)
        if self.with_category and len(boxes):
            if results.get('category_id') is None:
                raise ValueError(
                    f'Record sent_id={results.get("sent_id")} of '
                    f'{results.get("img_path")} has no category_id; '
                    'with_category needs a dataset imported with categories '
                    '(RefCOCO/+/g and the synthetic set have them).')
            # gRefCOCO records hold one category per box, the others one.
            categories = np.asarray(results['category_id'], np.int64)
            if categories.size not in (1, len(boxes)):
                raise ValueError(
                    f'Record sent_id={results.get("sent_id")} of '
                    f'{results.get("img_path")} has {categories.size} '
                    f'category ids for {len(boxes)} boxes.')
            results['gt_bboxes_labels'][:] = categories.reshape(-1)
        results['gt_ignore_flags'] = np.zeros(len(boxes), bool)
        results['ori_gt_bboxes'] = boxes.copy()
        rle = results.get('mask')
        results['ori_gt_mask'] = rle
        if self.with_mask:
            if rle is None and len(boxes):
                raise ValueError(
                    f'Record sent_id={results.get("sent_id")} of '
                    f'{results.get("img_path")} has no mask; RES needs a '
                    'dataset imported with masks.')
            height, width = int(results['height']), int(results['width'])
            mask = decode_rle(rle, height, width)
            results['gt_masks'] = BitmapMasks(
                np.repeat(mask[None], len(boxes), 0), height, width)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(with_mask={self.with_mask}, '
                f'with_category={self.with_category})')


def proposals_frame(results: dict) -> Tuple[tuple, bool]:
    """The image geometry that a sample's proposals are in: (h, w) and
    whether flipped. Every transform that moves the proposals records it
    as ``proposals_frame``, so that ``PackVGInputs`` can tell a transform
    that changed the image without moving them (mmdet's ``Resize``)."""
    shape = results.get('img_shape') or (results['height'], results['width'])
    return tuple(int(v) for v in shape[:2]), bool(results.get('flip', False))


@TRANSFORMS.register_module()
class LoadVGProposals(BaseTransform):
    """Load the region proposals of a sample's image, as mmdet's
    ``LoadProposals`` does for detection.

    Required keys: ``proposals`` (K, 4) and ``proposals_scores`` (K, ),
    which ``VGDataset`` sets from its ``proposal_file``; ``height`` and
    ``width``. Place it right after ``LoadVGImage``, before any geometric
    transform: ``RandomFlipVG``, ``VGResize``, ``LetterBox`` and
    ``RandomCropKeepTarget`` move the proposals with the image, and
    ``PackVGInputs`` packs them into ``VGDataSample.proposals``.

    Added keys: ``proposals`` (HorizontalBoxes), ``proposals_scores``
    (float32 (K, )) and ``proposals_frame`` (see :func:`proposals_frame`).

    Args:
        whole_image_box (bool): Put the whole-image box first, score 1
            (VL-BERT ranks it with the others). Defaults to True.
        num_max_proposals (int, optional): Keep the first this many of
            the file's proposals (the whole-image box not counted).
            Defaults to None: all.
    """

    def __init__(self,
                 whole_image_box: bool = True,
                 num_max_proposals: Optional[int] = None) -> None:
        if num_max_proposals is not None and num_max_proposals < 1:
            raise ValueError('num_max_proposals must be >= 1 or None, got '
                             f'{num_max_proposals}')
        self.whole_image_box = whole_image_box
        self.num_max_proposals = num_max_proposals

    def transform(self, results: dict) -> dict:
        if 'proposals' not in results:
            raise KeyError(
                f'Record {record_name(results)} has no proposals: '
                'LoadVGProposals needs a dataset built with proposal_file.')
        boxes = np.asarray(results['proposals'], np.float32).reshape(-1, 4)
        scores = np.asarray(results['proposals_scores'], np.float32)
        boxes = boxes[:self.num_max_proposals]
        scores = scores[:self.num_max_proposals]
        if self.whole_image_box:
            height, width = proposals_frame(results)[0]
            boxes = np.concatenate(
                [np.array([[0, 0, width, height]], np.float32), boxes])
            scores = np.concatenate([np.ones(1, np.float32), scores])
        if not len(boxes):
            raise ValueError(
                f'Record {record_name(results)} has no proposals and '
                'LoadVGProposals adds no whole-image box '
                '(whole_image_box=False).')
        results['proposals'] = HorizontalBoxes(boxes)
        results['proposals_scores'] = scores
        results['proposals_frame'] = proposals_frame(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}('
                f'whole_image_box={self.whole_image_box}, '
                f'num_max_proposals={self.num_max_proposals})')
