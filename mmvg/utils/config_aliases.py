# Copyright (c) mmvg contributors. All rights reserved.
"""The config names of mmvg 0.1.0 and the files that replaced them.

After mmvg 0.1.0 the configs took mmdet 3.x names
(``{model}_{backbone}_{text}_{N}xb{M}-{schedule}_{dataset}.py``). For one
release the old names keep loading through :func:`resolve_config_path`,
with a ``FutureWarning`` naming the new file; ``tools/train.py``,
``tools/test.py`` and ``demo/image_demo.py`` call it.
"""
import os.path as osp
import warnings
from typing import Dict

# Old path -> new path, both relative to the ``configs`` directory.
CONFIG_ALIASES: Dict[str, str] = {
    'lavt/lavt-one_swin-b-dice_40e_refcoco.py':
    'lavt/lavt-one_swin-b_bert-base_dice_8xb4-40e_refcoco.py',
    'lavt/lavt-one_swin-b-dice_40e_refcoco_plus.py':
    'lavt/lavt-one_swin-b_bert-base_dice_8xb4-40e_refcoco-plus.py',
    'lavt/lavt-one_swin-b-dice_40e_refcocog_google.py':
    'lavt/lavt-one_swin-b_bert-base_dice_8xb4-40e_refcocog-google.py',
    'lavt/lavt-one_swin-b-dice_40e_refcocog_umd.py':
    'lavt/lavt-one_swin-b_bert-base_dice_8xb4-40e_refcocog-umd.py',
    'lavt/lavt-one_swin-b_40e_refcoco.py':
    'lavt/lavt-one_swin-b_bert-base_8xb4-40e_refcoco.py',
    'lavt/lavt-one_swin-b_40e_refcoco_plus.py':
    'lavt/lavt-one_swin-b_bert-base_8xb4-40e_refcoco-plus.py',
    'lavt/lavt-one_swin-b_40e_refcocog_google.py':
    'lavt/lavt-one_swin-b_bert-base_8xb4-40e_refcocog-google.py',
    'lavt/lavt-one_swin-b_40e_refcocog_umd.py':
    'lavt/lavt-one_swin-b_bert-base_8xb4-40e_refcocog-umd.py',
    'lavt/lavt_swin-b_40e_refcoco.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco.py',
    'lavt/lavt_swin-b_40e_refcoco_deepspeed-zero2-bf16.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_deepspeed-zero2-bf16.py',
    'lavt/lavt_swin-b_40e_refcoco_deepspeed-zero2.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_deepspeed-zero2.py',
    'lavt/lavt_swin-b_40e_refcoco_deepspeed-zero3-bf16.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_deepspeed-zero3-bf16.py',
    'lavt/lavt_swin-b_40e_refcoco_deepspeed-zero3.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_deepspeed-zero3.py',
    'lavt/lavt_swin-b_40e_refcoco_fsdp-blocks.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_fsdp-blocks.py',
    'lavt/lavt_swin-b_40e_refcoco_fsdp.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco_fsdp.py',
    'lavt/lavt_swin-b_40e_refcoco_plus.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco-plus.py',
    'lavt/lavt_swin-b_40e_refcocog_google.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcocog-google.py',
    'lavt/lavt_swin-b_40e_refcocog_umd.py':
    'lavt/lavt_swin-b_bert-base_8xb4-40e_refcocog-umd.py',
    'lavt/lavt_swin-tiny_3000i_synthetic.py':
    'lavt/lavt_swin-tiny_bert-tiny_1xb16-3000i_synthetic.py',
    'vltvg/vltvg_r101_90e_flickr30k.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_flickr30k.py',
    'vltvg/vltvg_r101_90e_refcoco.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco.py',
    'vltvg/vltvg_r101_90e_refcoco_deepspeed-zero2-bf16.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_deepspeed-zero2-bf16.py',
    'vltvg/vltvg_r101_90e_refcoco_deepspeed-zero2.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_deepspeed-zero2.py',
    'vltvg/vltvg_r101_90e_refcoco_deepspeed-zero3-bf16.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_deepspeed-zero3-bf16.py',
    'vltvg/vltvg_r101_90e_refcoco_deepspeed-zero3.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_deepspeed-zero3.py',
    'vltvg/vltvg_r101_90e_refcoco_fsdp-blocks.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_fsdp-blocks.py',
    'vltvg/vltvg_r101_90e_refcoco_fsdp.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco_fsdp.py',
    'vltvg/vltvg_r101_90e_refcoco_plus.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcoco-plus.py',
    'vltvg/vltvg_r101_90e_refcocog_google.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcocog-google.py',
    'vltvg/vltvg_r101_90e_refcocog_umd.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_refcocog-umd.py',
    'vltvg/vltvg_r101_90e_referit.py':
    'vltvg/vltvg_r101_bert-base_4xb16-90e_referit.py',
    'vltvg/vltvg_r18-tiny_2500i_synthetic.py':
    'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py',
    'vltvg/vltvg_r50_90e_flickr30k.py':
    'vltvg/vltvg_r50_bert-base_4xb16-90e_flickr30k.py',
    'vltvg/vltvg_r50_90e_refcoco.py':
    'vltvg/vltvg_r50_bert-base_4xb16-90e_refcoco.py',
    'vltvg/vltvg_r50_90e_refcoco_plus.py':
    'vltvg/vltvg_r50_bert-base_4xb16-90e_refcoco-plus.py',
    'vltvg/vltvg_r50_90e_refcocog_google.py':
    'vltvg/vltvg_r50_bert-base_4xb16-90e_refcocog-google.py',
    'vltvg/vltvg_r50_90e_refcocog_umd.py':
    'vltvg/vltvg_r50_bert-base_4xb16-90e_refcocog-umd.py',
    'vltvg/vltvg_r50_90e_referit.py':
    'vltvg/vltvg_r50_bert-base_4xb16-90e_referit.py',
}
# Old file names are unique across the config directories.
_ALIASES_BY_NAME = {
    osp.basename(old): new
    for old, new in CONFIG_ALIASES.items()
}


def resolve_config_path(path: str) -> str:
    """Return the config file to load for ``path``, following renames.

    A path that exists, or whose file name is not an old config name, is
    returned unchanged (the loader then reports a missing file itself).
    A missing path whose file name is an old name resolves to the new
    file in the same directory, with a ``FutureWarning`` naming it; a
    ``scope::relative/path`` (mim style) resolves within its scope.

    Args:
        path (str): The config path given by the user.

    Returns:
        str: The path to load.

    Raises:
        FileNotFoundError: If ``path`` is an old name and the new file is
            not next to it either; the message names the new file.
    """
    scope = None
    rel = path
    if '::' in path:
        scope, rel = path.split('::', 1)
    if scope is None and osp.exists(path):
        return path
    new = _ALIASES_BY_NAME.get(osp.basename(rel))
    if new is None:
        return path
    if scope is not None:
        if rel not in CONFIG_ALIASES:
            return path
        new_path = f'{scope}::{new}'
    else:
        new_path = osp.join(osp.dirname(path), osp.basename(new))
        if not osp.isfile(new_path):
            raise FileNotFoundError(
                f'Config {path} does not exist: it was renamed to '
                f'configs/{new} after mmvg 0.1.0, and {new_path} does not '
                'exist either.')
    warnings.warn(
        f'Config {path} was renamed to {new_path} after mmvg 0.1.0; '
        'the old name still loads in the next release, not after it.',
        FutureWarning,
        stacklevel=2)
    return new_path
