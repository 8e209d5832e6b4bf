# Copyright (c) mmvg contributors. All rights reserved.
import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from mmvg.datasets.transforms import LetterBox
from mmvg.evaluation.metrics.utils import mask_counts
from mmvg.models.data_preprocessors import VGDataPreprocessor
from mmvg.models.utils import (boxes_to_original, crop_to_image,
                               masks_to_original)
from mmvg.testing import demo_vg_record
from mmvg.utils import register_all_modules

register_all_modules()

BOX = (30.0, 20.0, 150.0, 90.0)


def _results(h, w, box=BOX):
    """A black image with the box white, its box and its mask."""
    return demo_vg_record(h, w, (box, ))


def _load(results):
    return Compose([dict(type='LoadVGAnnotations', with_mask=True)])(results)


def _pipeline(size=416, flip=False):
    steps = [dict(type='LoadVGAnnotations', with_mask=True)]
    if flip:
        steps.append(dict(type='RandomFlipVG', prob=1.0))
    steps += [dict(type='LetterBox', size=size), dict(type='PackVGInputs')]
    return Compose(steps)


@pytest.mark.parametrize(
    'h,w,shape,pad',
    [
        # landscape: the width becomes 416, the height int(416 / 1.5)
        (200, 300, (277, 416), (69, 70, 0, 0)),
        # portrait: int(416 * 120 / 250) = 199 wide, 217 of padding
        (250, 120, (416, 199), (0, 0, 108, 109)),
    ])
def test_letterbox_centres_the_resized_image(h, w, shape, pad):
    results = _results(h, w, box=(10.0, 10.0, 60.0, 50.0))
    img = results['img']
    out = LetterBox(size=416)(dict(results))
    top, bottom, left, right = pad
    assert out['img'].shape == (416, 416, 3)
    assert out['img_shape'] == shape and out['pad_shape'] == (416, 416)
    assert out['pad_param'].tolist() == list(pad)
    assert out['scale_factor'] == (shape[1] / w, shape[0] / h)
    inside = out['img'][top:416 - bottom, left:416 - right]
    # the image is resized with OpenCV's bilinear, as SimREC does
    assert np.array_equal(inside, mmcv.imresize(img, shape[::-1]))
    padding = np.ones((416, 416), bool)
    padding[top:416 - bottom, left:416 - right] = False
    assert (out['img'][padding] == 127).all()


def test_letterbox_moves_boxes_and_masks_with_the_image():
    # no resampling (long side 416): the object is the bright pixels
    out = _load(_results(208, 416))
    out = LetterBox(size=416)(out)
    assert out['pad_param'].tolist() == [104, 104, 0, 0]
    box = out['gt_bboxes'].tensor[0].tolist()
    assert box == [30.0, 124.0, 150.0, 194.0]
    ys, xs = np.nonzero(out['img'][..., 0] == 255)
    assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == box
    mask = out['gt_masks'].masks[0]
    assert mask.shape == (416, 416)
    assert np.array_equal(mask.astype(bool), out['img'][..., 0] == 255)


@pytest.mark.parametrize('flip', [False, True])
@pytest.mark.parametrize('h,w', [(200, 300), (250, 170)])
def test_predictions_map_back_through_the_offset(h, w, flip):
    packed = _pipeline(flip=flip)(_results(h, w))
    sample = packed['data_samples']
    meta = sample.metainfo
    # the gt box in the input frame, mapped back, is the original box
    back = boxes_to_original(sample.gt_instances.bboxes, meta)
    assert torch.allclose(back, torch.tensor([BOX]), atol=1e-3)
    # so is the gt mask (as scores over the padded input)
    scores = torch.from_numpy(sample.gt_instances.masks.masks).float()
    mask = masks_to_original(scores, meta)[0] > 0.5
    original = np.zeros((h, w), bool)
    x1, y1, x2, y2 = (int(v) for v in BOX)
    original[y1:y2, x1:x2] = True
    iou = (mask.numpy() & original).sum() / (mask.numpy() | original).sum()
    assert iou > 0.97
    # a mask crop is the image window: the padding is dropped
    assert crop_to_image(scores, meta).shape[-2:] == tuple(meta['img_shape'])


def test_padding_masks_and_input_resolution_follow_the_window():
    packed = [_pipeline()(_results(200, 300)), _pipeline()(_results(250, 120))]
    preprocessor = VGDataPreprocessor(
        mean=[0, 0, 0], std=[255, 255, 255], bgr_to_rgb=True)
    data = preprocessor(
        dict(
            inputs=[p['inputs'] for p in packed],
            data_samples=[p['data_samples'] for p in packed]))
    inputs, samples = data['inputs'], data['data_samples']
    # inputs in [0, 1]; the padding is SimREC's 127 grey
    assert inputs.min() >= 0 and inputs.max() <= 1
    for image, sample in zip(inputs, samples):
        is_grey = (image == 127 / 255).all(dim=0)
        assert torch.equal(sample.pixel_mask, is_grey)
    # the input-resolution RES protocol crops the gt to the same window
    sample = samples[1]
    input_masks = crop_to_image(
        torch.from_numpy(sample.gt_instances.masks.masks).bool(),
        sample.metainfo)
    record = dict(
        sample.metainfo,
        gt_instances=dict(masks=sample.gt_instances.masks.masks),
        pred_instances=dict(masks=input_masks, input_masks=input_masks))
    inter, union, _, gt_area = mask_counts(record, resolution='input')
    assert inter == union == gt_area > 0
