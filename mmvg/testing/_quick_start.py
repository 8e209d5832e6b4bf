# Copyright (c) mmvg contributors. All rights reserved.
import json
import os.path as osp
from typing import Tuple

import cv2
import numpy as np

from ._utils import get_config_path


def shapes_image(path: str, shape: Tuple[int, int] = (150, 210)) -> str:
    """Write a grey image with a red circle and a blue square.

    Args:
        path (str): Where to write it; the extension picks the format.
        shape (tuple[int, int]): (h, w), at least (100, 180).

    Returns:
        str: ``path``.
    """
    img = np.full((*shape, 3), 128, np.uint8)
    cv2.circle(img, (60, 70), 20, (40, 40, 220), -1)
    cv2.rectangle(img, (130, 40), (170, 80), (220, 90, 30), -1)
    cv2.imwrite(path, img)
    return path


def quick_start_checkpoint(config: str, out_dir: str) -> Tuple[str, str]:
    """A quick-start config that runs without ``data/synthetic``, and a
    checkpoint of its randomly initialised model.

    The config's tokenizer reads a word vocabulary written to
    ``out_dir/vocab.json`` instead of the synthetic dataset's.

    Args:
        config (str): Config path relative to the configs directory, e.g.
            ``'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py'``.
        out_dir (str): An existing folder for the three files.

    Returns:
        tuple[str, str]: The config file and the checkpoint, in
        ``out_dir``.
    """
    import torch
    from mmengine.config import Config

    from mmvg.apis import init_grounder
    from mmvg.datasets.tokenizers import build_word_vocab
    vocab_file = osp.join(out_dir, 'vocab.json')
    with open(vocab_file, 'w') as f:
        json.dump(build_word_vocab(['the red circle left of the square']), f)
    cfg = Config.fromfile(get_config_path(config))
    cfg.model.data_preprocessor.tokenizer.vocab_file = vocab_file
    config_file = osp.join(out_dir, 'config.py')
    cfg.dump(config_file)
    model = init_grounder(config_file)
    checkpoint = osp.join(out_dir, 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    return config_file, checkpoint
