# Copyright (c) mmvg contributors. All rights reserved.
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvg.structures import VGDataSample

_TEXTS = ('the red circle on the left', 'blue square', 'the green triangle')


def demo_vg_inputs(batch_size: int = 2,
                   image_shapes: Sequence[Tuple[int, int]] = ((64, 64), ),
                   texts: Optional[Sequence[str]] = None,
                   with_mask: bool = False,
                   flip: bool = False,
                   scale_factor: Tuple[float, float] = (1.0, 1.0),
                   num_proposals: Union[int, Sequence[int]] = 0,
                   seed: int = 0) -> dict:
    """A batch as the dataloader gives it: uint8 images and data samples.

    Each sample holds an expression (``text`` and ``ori_text``), one gt box
    (and, with ``with_mask``, the mask filling it) in the input frame, and
    the geometry metainfo that maps predictions back to an original image
    ``scale_factor`` times smaller than the input.

    Args:
        batch_size (int): Number of samples.
        image_shapes (Sequence[tuple]): (h, w) input sizes, cycled over the
            batch; mixed sizes exercise padding.
        texts (Sequence[str], optional): Expressions, cycled.
        with_mask (bool): Add ``gt_instances.masks``.
        flip (bool): Mark the samples as horizontally flipped.
        scale_factor (tuple[float, float]): (w, h) input / original.
        num_proposals (int | Sequence[int]): Random boxes in each sample's
            ``proposals`` (cycled over the batch), after the whole-image
            box and the gt box, as ``LoadVGProposals`` and
            ``PackVGInputs`` give them to region-ranking models; 0 adds
            no ``proposals``. Defaults to 0.
        seed (int): Seed of the images and boxes.

    Returns:
        dict: ``inputs`` (list of (3, h, w) uint8 tensors) and
        ``data_samples`` (list of :class:`VGDataSample`).
    """
    rng = np.random.RandomState(seed)
    texts = texts or _TEXTS
    inputs, samples = [], []
    for i in range(batch_size):
        h, w = image_shapes[i % len(image_shapes)]
        inputs.append(
            torch.from_numpy(rng.randint(0, 256, (3, h, w), dtype=np.uint8)))
        x1, y1 = rng.uniform(0, w / 2), rng.uniform(0, h / 2)
        x2, y2 = rng.uniform(x1 + 4, w), rng.uniform(y1 + 4, h)
        box = np.array([[x1, y1, x2, y2]], dtype=np.float32)
        ori_h = int(round(h / scale_factor[1]))
        ori_w = int(round(w / scale_factor[0]))
        text = texts[i % len(texts)]
        sample = VGDataSample()
        sample.set_metainfo(
            dict(
                text=text,
                ori_text=text,
                img_path=f'demo_{i}.jpg',
                image_id=i,
                ref_id=i,
                sent_id=i,
                ori_shape=(ori_h, ori_w),
                img_shape=(h, w),
                pad_shape=(h, w),
                scale_factor=tuple(scale_factor),
                flip=flip,
                flip_direction='horizontal' if flip else None,
                no_target=False))
        gt = InstanceData()
        gt.bboxes = torch.from_numpy(box)
        gt.labels = torch.zeros(1, dtype=torch.long)
        if with_mask:
            mask = np.zeros((1, h, w), dtype=np.uint8)
            mask[0, int(y1):int(y2), int(x1):int(x2)] = 1
            gt.masks = BitmapMasks(mask, h, w)
        sample.gt_instances = gt
        counts = ([num_proposals]
                  if isinstance(num_proposals, int) else num_proposals)
        count = counts[i % len(counts)]
        if count:
            corners = rng.uniform(0, 1, (count, 4)) * [w, h, w, h] / 2
            corners[:, 2:] += corners[:, :2] + 4
            boxes = np.concatenate([[[0, 0, w, h]], box, corners])
            sample.proposals = InstanceData(
                bboxes=torch.tensor(boxes, dtype=torch.float32),
                scores=torch.ones(len(boxes)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def demo_vg_record(h: int = 40,
                   w: int = 60,
                   boxes: Sequence[Sequence[float]] = ((10, 5, 30, 25), ),
                   text: str = 'the left cup') -> dict:
    """One expression as a dataset hands it to the pipeline (before
    ``LoadVGAnnotations``).

    The image is black with the boxes white, so that the object is the
    white pixels after any geometric transform; the mask is the union of
    the boxes (pixels ``int(y1):int(y2), int(x1):int(x2)``) as an RLE with
    ``str`` counts, as in the annotation files.

    Args:
        h (int): Image height.
        w (int): Image width.
        boxes (Sequence): xyxy boxes; none makes a no-target record.
        text (str): The expression.

    Returns:
        dict: ``img``, the shapes, ``text``, ``bboxes``, ``mask``,
        ``no_target`` and the ids.
    """
    img = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    for x1, y1, x2, y2 in boxes:
        img[int(y1):int(y2), int(x1):int(x2)] = 255
        mask[int(y1):int(y2), int(x1):int(x2)] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle['counts'] = rle['counts'].decode()
    return dict(
        img=img,
        img_shape=(h, w),
        ori_shape=(h, w),
        height=h,
        width=w,
        text=text,
        bboxes=[[float(v) for v in box] for box in boxes],
        mask=rle,
        no_target=not boxes,
        image_id=1,
        ref_id=2,
        sent_id=3,
        img_path='x.jpg')
