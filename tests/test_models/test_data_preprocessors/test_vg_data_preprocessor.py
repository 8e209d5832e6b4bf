# Copyright (c) mmvg contributors. All rights reserved.
import json

import torch

from mmvg.models.data_preprocessors import VGDataPreprocessor
from mmvg.models.grounders import BaseGrounder
from mmvg.testing import demo_vg_inputs
from mmvg.utils import register_all_modules

register_all_modules()


def _vocab(tmp_path) -> str:
    path = tmp_path / 'vocab.json'
    words = ['PAD', 'UNK', 'CLS', 'the', 'red', 'circle', 'on', 'left']
    path.write_text(json.dumps({w: i for i, w in enumerate(words)}))
    return str(path)


def test_pads_images_tokenizes_and_masks(tmp_path):
    preprocessor = VGDataPreprocessor(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        tokenizer=dict(
            type='WordVocabTokenizer',
            vocab_file=_vocab(tmp_path),
            max_length=4,
            pad_to_max_length=False))
    batch = demo_vg_inputs(
        image_shapes=((20, 30), (25, 16)),
        texts=('the red circle on the left', 'Red'))
    data = preprocessor(batch)
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape == (2, 3, 32, 32)
    assert inputs.dtype == torch.float32
    tokens = BaseGrounder.stack_tokens(samples)
    # cut once, by the tokenizer (4 words), then padded to the batch
    assert tokens['input_ids'].tolist() == [[3, 4, 5, 6], [4, 0, 0, 0]]
    assert tokens['input_ids'].dtype == torch.long
    assert tokens['attention_mask'].tolist()[1] == [1, 0, 0, 0]
    # the text the model read and the record's text both stay
    assert samples[0].text == samples[0].ori_text
    masks = BaseGrounder.stack_pixel_masks(inputs, samples)
    assert masks.shape == (2, 32, 32)
    assert not masks[0, :20, :30].any() and masks[0, 20:].all()
    assert masks[1, :, 16:].all() and not masks[1, :25, :16].any()


def test_pads_given_tokens_without_a_tokenizer():
    batch = demo_vg_inputs(image_shapes=((8, 8), ))
    for sample, length in zip(batch['data_samples'], (5, 9)):
        sample.tokens = dict(
            input_ids=torch.arange(1, length + 1),
            attention_mask=torch.ones(length, dtype=torch.long))
    samples = VGDataPreprocessor()(batch)['data_samples']
    tokens = BaseGrounder.stack_tokens(samples)
    assert tokens['input_ids'].shape == (2, 9)
    assert tokens['attention_mask'].tolist()[0] == [1] * 5 + [0] * 4
