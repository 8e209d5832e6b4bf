# Copyright (c) mmvg contributors. All rights reserved.
import torch

from mmvg.models.data_preprocessors import VGDataPreprocessor
from mmvg.models.grounders import BaseGrounder
from mmvg.structures import VGDataSample


def _sample(h, w, num_tokens):
    sample = VGDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
    sample.tokens = dict(
        input_ids=torch.arange(1, num_tokens + 1),
        attention_mask=torch.ones(num_tokens, dtype=torch.long))
    return sample


def _batch():
    return dict(
        inputs=[
            torch.randint(0, 255, (3, 20, 30), dtype=torch.uint8),
            torch.randint(0, 255, (3, 25, 16), dtype=torch.uint8)
        ],
        data_samples=[_sample(20, 30, 5),
                      _sample(25, 16, 9)])


def test_pads_images_tokens_and_masks():
    preprocessor = VGDataPreprocessor(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32)
    data = preprocessor(_batch())
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape == (2, 3, 32, 32)
    assert inputs.dtype == torch.float32
    tokens = BaseGrounder.stack_tokens(samples)
    assert tokens['input_ids'].shape == (2, 9)
    assert tokens['input_ids'].dtype == torch.long
    assert tokens['attention_mask'].tolist()[0] == [1] * 5 + [0] * 4
    masks = BaseGrounder.stack_pixel_masks(inputs, samples)
    assert masks.shape == (2, 32, 32)
    assert not masks[0, :20, :30].any() and masks[0, 20:].all()
    assert masks[1, :, 16:].all() and not masks[1, :25, :16].any()


def test_truncates_long_expressions():
    preprocessor = VGDataPreprocessor(max_token_length=6)
    samples = preprocessor(_batch())['data_samples']
    tokens = BaseGrounder.stack_tokens(samples)
    assert tokens['input_ids'].shape == (2, 6)
    assert tokens['input_ids'][1].tolist() == [1, 2, 3, 4, 5, 6]
