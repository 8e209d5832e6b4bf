# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch

from mmvg.models.utils import (boxes_to_original, crop_to_image, image_window,
                               mask_to_box, masks_to_original, padding_mask)

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


# a 50x100 image centred in a 100x100 input: 25 rows of padding above
CENTRED = dict(META, pad_param=(25., 25., 0., 0.))


def test_boxes_move_by_the_padding_offset():
    boxes = torch.tensor([[10., 30., 30., 50.]])
    assert torch.allclose(
        boxes_to_original(boxes, CENTRED), torch.tensor([[20., 10., 60.,
                                                          50.]]))
    # clipped to the image, not to the padded input
    boxes = torch.tensor([[-5., 0., 120., 100.]])
    assert torch.allclose(
        boxes_to_original(boxes, CENTRED), torch.tensor([[0., 0., 200.,
                                                          100.]]))


def test_offset_then_flip_inside_the_image():
    meta = dict(CENTRED, flip=True, flip_direction='horizontal')
    boxes = torch.tensor([[10., 30., 30., 50.]])
    assert torch.allclose(
        boxes_to_original(boxes, meta), torch.tensor([[140., 10., 180., 50.]]))


def test_masks_and_padding_mask_use_the_window():
    maps = torch.zeros(1, 100, 100)
    maps[0, 25:75, :50] = 1  # the left half of the image
    assert crop_to_image(maps, CENTRED).shape == (1, 50, 100)
    assert crop_to_image(maps, CENTRED)[0, :, :50].all()
    out = masks_to_original(maps, CENTRED)[0] > 0.5
    assert out.shape == (100, 200)
    assert out[:, :100].all() and not out[:, 100:].any()
    mask = padding_mask(CENTRED, (100, 100), torch.device('cpu'))
    assert mask[:25].all() and mask[75:].all() and not mask[25:75].any()
    # no pad_param: the image at the top-left (bottom-right padding)
    mask = padding_mask(META, (60, 100), torch.device('cpu'))
    assert not mask[:50].any() and mask[50:].all()
    # a batch resize leaves fractional offsets: whole pixels, rounded
    meta = dict(img_shape=(5, 10), pad_param=(2.6, 2.4, 0.0, 0.0))
    assert image_window(meta) == (3, 0, 5, 10)
