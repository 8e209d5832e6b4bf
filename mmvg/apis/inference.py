# Copyright (c) mmvg contributors. All rights reserved.
"""Run a trained grounder on one image and one expression."""
import copy
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn

from mmvg.registry import MODELS
from mmvg.structures import VGDataSample
from mmvg.utils import register_all_modules, resolve_config_path

# Test-pipeline steps that read annotations, which a user's image lacks.
_ANNOTATION_TRANSFORMS = ('LoadVGAnnotations', )


def init_grounder(config: Union[str, Config],
                  checkpoint: Optional[str] = None,
                  device: str = 'cpu',
                  cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a grounder from a config and load its checkpoint.

    Args:
        config (str | Config): Config file path (an mmvg 0.1.0 name loads
            the renamed file, with a warning) or loaded config.
        checkpoint (str, optional): Checkpoint path. With None the weights
            stay as initialised (for tests). Defaults to None.
        device (str): Device to put the model on. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Options overriding the config.

    Returns:
        nn.Module: The grounder in eval mode, with its config in ``cfg``.
    """
    if isinstance(config, str):
        config = resolve_config_path(config)
        if not osp.isfile(config):
            raise FileNotFoundError(f'Config file {config} does not exist.')
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(config.get('default_scope', 'mmvg'))
    model = MODELS.build(config.model)
    if checkpoint is None:
        model.init_weights()
    else:
        # Strict: a checkpoint of another model fails with its key lists.
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def _inference_pipeline(cfg: Config, from_array: bool) -> Compose:
    """The test pipeline without annotation loading.

    It cleans the text and packs it; the model's data preprocessor
    tokenizes it.
    """
    steps = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    steps = [s for s in steps if s['type'] not in _ANNOTATION_TRANSFORMS]
    if from_array:
        steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    return Compose(steps)


def inference_grounder(model: nn.Module, image: Union[str, np.ndarray],
                       text: str) -> VGDataSample:
    """Ground one expression in one image.

    Args:
        model (nn.Module): A grounder from :func:`init_grounder`.
        image (str | np.ndarray): Image path, or a BGR uint8 (H, W, 3)
            array as OpenCV loads it.
        text (str): The referring expression.

    Returns:
        VGDataSample: ``pred_instances.bboxes`` (K, 4) xyxy and
        ``pred_instances.scores`` (K, ), in original image pixels (plus
        ``masks`` for segmentation models).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError('The expression is empty: give the text that '
                         'describes the object to find.')
    if isinstance(image, str):
        if not osp.isfile(image):
            raise FileNotFoundError(f'Image file {image} does not exist.')
        data = dict(img_path=image, text=text, ori_text=text)
    elif isinstance(image, np.ndarray) and image.ndim == 3:
        data = dict(img=image, text=text, ori_text=text)
    else:
        raise TypeError('image must be a file path or an (H, W, 3) array')
    pipeline = _inference_pipeline(model.cfg, isinstance(image, np.ndarray))
    data = pseudo_collate([pipeline(data)])
    with torch.no_grad():
        return model.test_step(data)[0]
