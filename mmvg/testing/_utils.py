# Copyright (c) mmvg contributors. All rights reserved.
"""Where the configs and tools are, and the model of a config."""
import copy
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict

# mmvg/ (the package directory).
_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def get_resource_dir(name: str, package_dir: Optional[str] = None) -> str:
    """The ``configs`` or ``tools`` directory of mmvg.

    From a source checkout (``setup.py`` beside the package) it is the
    checkout's own folder, so edits are live even when a ``.mim`` copy from
    an earlier build exists; from an installed package it is
    ``mmvg/.mim/<name>``.

    Args:
        name (str): ``'configs'``, ``'tools'`` or ``'demo'``.
        package_dir (str, optional): The ``mmvg`` package directory.
            Defaults to the imported package's.

    Returns:
        str: The directory.
    """
    package_dir = package_dir or _PACKAGE_DIR
    repo_dir = osp.dirname(package_dir)
    checkout = osp.join(repo_dir, name)
    if osp.isfile(osp.join(repo_dir, 'setup.py')) and osp.isdir(checkout):
        return checkout
    mim = osp.join(package_dir, '.mim', name)
    if osp.isdir(mim):
        return mim
    raise FileNotFoundError(
        f'mmvg has no {name} folder: looked for {checkout} (a source '
        f'checkout) and {mim} (an installed package). Reinstall mmvg with '
        '"pip install -e ." from a checkout or "pip install mmvg".')


def get_config_path(path: str, package_dir: Optional[str] = None) -> str:
    """The absolute path of a config file.

    Args:
        path (str): Path relative to the configs directory, e.g.
            ``'_base_/models/vltvg_r18-tiny.py'``.
        package_dir (str, optional): See :func:`get_resource_dir`.

    Returns:
        str: The config file.
    """
    config_dir = get_resource_dir('configs', package_dir)
    full = osp.join(config_dir, path)
    if not osp.isfile(full):
        raise FileNotFoundError(f'No config {path} in {config_dir}.')
    return full


def get_grounder_cfg(path: str,
                     package_dir: Optional[str] = None) -> ConfigDict:
    """The ``model`` of a config, as mmdet's ``get_detector_cfg``.

    Args:
        path (str): Config path relative to the configs directory; a base
            model file (``'_base_/models/lavt_swin-tiny.py'``) or a leaf.
        package_dir (str, optional): See :func:`get_resource_dir`.

    Returns:
        ConfigDict: A deep copy of ``cfg.model``, free to modify.
    """
    cfg = Config.fromfile(get_config_path(path, package_dir))
    if 'model' not in cfg:
        raise KeyError(f'{path} defines no model.')
    return copy.deepcopy(cfg.model)


def build_on_meta(cfg: dict):
    """Build a model on the meta device: full-size shapes, no memory.

    mmdet's Swin reads its stochastic-depth rates with ``.item()`` from a
    ``torch.linspace``, which the meta device cannot do, so that one runs
    on the CPU.

    Args:
        cfg (dict): The model config.

    Returns:
        nn.Module: The model, its tensors on the meta device.
    """
    import torch

    from mmvg.registry import MODELS
    linspace = torch.linspace
    torch.linspace = lambda *args, **kwargs: linspace(
        *args, **dict(kwargs, device='cpu'))
    try:
        with torch.device('meta'):
            return MODELS.build(cfg)
    finally:
        torch.linspace = linspace


def _tiny_detr_decoder(embed_dims: int, num_layers: int) -> dict:
    """mmdet ``DetrTransformerDecoder`` arguments: 4 heads, FFN twice as
    wide, no dropout."""
    attn = dict(embed_dims=embed_dims, num_heads=4, attn_drop=0.0)
    return dict(
        num_layers=num_layers,
        layer_cfg=dict(
            self_attn_cfg=attn,
            cross_attn_cfg=attn,
            ffn_cfg=dict(
                embed_dims=embed_dims,
                feedforward_channels=2 * embed_dims,
                ffn_drop=0.0)))


def tiny_alvg_head_cfg(in_channels: int, embed_dims: int = 32) -> dict:
    """An ``ALVGHead`` config small enough for CPU tests: 4 heads, FFN
    twice as wide, no dropout in the attention, the official depths (2
    query-generator layers, 3 decoder layers)."""
    return dict(
        type='ALVGHead',
        in_channels=in_channels,
        embed_dims=embed_dims,
        query_generator=dict(decoder=_tiny_detr_decoder(embed_dims, 2)),
        decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                embed_dims=embed_dims,
                num_heads=4,
                feedforward_channels=2 * embed_dims,
                dropout=0.0)))


def tiny_simvg_head_cfg(in_channels: int, embed_dims: int = 32) -> dict:
    """A ``SimVGHead`` config small enough for CPU tests, without dropout:
    4 heads, FFN twice as wide, the official depths (2 query-generator
    layers, 3 decoder layers, 1 token-MLP layer) and one-stage weights."""
    return dict(
        type='SimVGHead',
        in_channels=in_channels,
        embed_dims=embed_dims,
        query_generator=dict(decoder=_tiny_detr_decoder(embed_dims, 2)),
        decoder=_tiny_detr_decoder(embed_dims, 3))
