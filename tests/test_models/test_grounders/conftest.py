# Copyright (c) mmvg contributors. All rights reserved.
"""Inputs shared by the word-vocabulary grounders' tests (SimREC, MCN)."""
import json

import numpy as np
import pytest

from mmvg.testing import demo_vg_inputs

WORDS = ['PAD', 'UNK', 'CLS', 'the', 'red', 'circle', 'on', 'left', 'blue']


@pytest.fixture(scope='session')
def word_vocab_file(tmp_path_factory):
    """A word vocabulary JSON covering some of the demo expressions."""
    path = tmp_path_factory.mktemp('vocab') / 'vocab.json'
    path.write_text(json.dumps({w: i for i, w in enumerate(WORDS)}))
    return str(path)


@pytest.fixture
def letterboxed_batch():
    """Two 64x64 inputs holding LetterBox-style images: (40, 64) with 12
    pixels of padding above and below, (64, 32) with 16 left and right;
    half the size of the originals."""
    batch = demo_vg_inputs(image_shapes=((64, 64), ), scale_factor=(0.5, 0.5))
    geometry = [((40, 64), [12., 12., 0., 0.]), ((64, 32), [0., 0., 16., 16.])]
    for sample, (img_shape, pad_param) in zip(batch['data_samples'], geometry):
        sample.set_metainfo(
            dict(
                img_shape=img_shape,
                ori_shape=(img_shape[0] * 2, img_shape[1] * 2),
                pad_param=np.array(pad_param, dtype=np.float32)))
    return batch
