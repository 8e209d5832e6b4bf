# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch

from mmvg.models.utils import (boxes_to_original, crop_to_image, mask_to_box,
                               masks_to_original)

META = dict(img_shape=(50, 100), ori_shape=(100, 200), scale_factor=(0.5, 0.5))


def test_boxes_undo_resize_and_flip():
    meta = dict(META, flip=True, flip_direction='horizontal')
    boxes = torch.tensor([[10., 5., 30., 25.]])
    # unflip within the 100-wide input: x -> 100 - x, then scale by 2
    assert torch.allclose(
        boxes_to_original(boxes, meta), torch.tensor([[140., 10., 180., 50.]]))


@pytest.mark.parametrize('direction,expected', [
    ('vertical', [[20., 50., 60., 90.]]),
    ('diagonal', [[140., 50., 180., 90.]]),
])
def test_boxes_undo_other_flips(direction, expected):
    meta = dict(META, flip=True, flip_direction=direction)
    out = boxes_to_original(torch.tensor([[10., 5., 30., 25.]]), meta)
    assert torch.allclose(out, torch.tensor(expected))


def test_boxes_clip_to_image_and_original():
    boxes = torch.tensor([[-5., -5., 120., 70.]])
    assert torch.allclose(
        boxes_to_original(boxes, META), torch.tensor([[0., 0., 200., 100.]]))


def test_boxes_are_not_modified_in_place():
    boxes = torch.tensor([[-5., -5., 120., 70.]])
    boxes_to_original(boxes, META)
    assert boxes.tolist() == [[-5., -5., 120., 70.]]


def test_masks_drop_padding_undo_flip_and_resize():
    # a 64-wide padded input holding a 50x40 image, left half foreground
    maps = torch.zeros(1, 64, 64)
    maps[0, :50, :20] = 1
    meta = dict(
        img_shape=(50, 40),
        ori_shape=(100, 80),
        flip=True,
        flip_direction='horizontal')
    assert crop_to_image(maps, meta).shape == (1, 50, 40)
    out = masks_to_original(maps, meta)
    assert out.shape == (1, 100, 80)
    mask = out[0] > 0.5
    # flipped back: the foreground is the right half of the original
    assert mask[:, 40:].all() and not mask[:, :40].any()


def test_unknown_flip_direction_is_refused():
    meta = dict(META, flip=True, flip_direction='sideways')
    with pytest.raises(ValueError, match='sideways'):
        boxes_to_original(torch.zeros(1, 4), meta)


def test_mask_to_box():
    mask = torch.zeros(10, 12, dtype=torch.bool)
    mask[2:5, 3:9] = True
    assert mask_to_box(mask).tolist() == [3., 2., 9., 5.]
    assert mask_to_box(torch.zeros(4, 4,
                                   dtype=torch.bool)).tolist() == [0.] * 4
