# Copyright (c) mmvg contributors. All rights reserved.
"""Build a trained grounder."""
import os.path as osp
from typing import Optional, Union

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn

from mmvg.registry import MODELS
from mmvg.utils import register_all_modules, resolve_config_path


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
