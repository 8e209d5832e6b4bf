# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch

from mmvg.models.grounders import BaseGrounder
from mmvg.structures import VGDataSample


def test_boxes_to_original_undoes_resize_and_flip():
    sample = VGDataSample(
        metainfo=dict(
            img_shape=(50, 100),
            ori_shape=(100, 200),
            scale_factor=(0.5, 0.5),
            flip=True,
            flip_direction='horizontal'))
    boxes = torch.tensor([[10., 5., 30., 25.]])
    out = BaseGrounder.boxes_to_original(boxes, sample)
    # unflip within the 100-wide input: x -> 100 - x, then scale by 2
    assert torch.allclose(out, torch.tensor([[140., 10., 180., 50.]]))


def test_boxes_to_original_clips():
    sample = VGDataSample(
        metainfo=dict(
            img_shape=(50, 100), ori_shape=(100, 200), scale_factor=(0.5,
                                                                     0.5)))
    boxes = torch.tensor([[-5., -5., 120., 70.]])
    out = BaseGrounder.boxes_to_original(boxes, sample)
    assert torch.allclose(out, torch.tensor([[0., 0., 200., 100.]]))


def test_stack_tokens_needs_tokens():
    with pytest.raises(KeyError, match='tokenize'):
        BaseGrounder.stack_tokens([VGDataSample()])
