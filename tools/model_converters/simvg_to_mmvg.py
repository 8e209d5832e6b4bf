# Copyright (c) mmvg contributors. All rights reserved.
"""Convert an official SimVG (Dmmm1997/SimVG) or ALVG (yscfromchina/ALVG,
a SimVG fork with the same checkpoint layout) checkpoint into mmvg keys.

Both save ``{'state_dict': ..., 'ema_state_dict': ... (with EMA),
'optimizer': ..., ...}``; keys carry ``module.`` when trained under DDP.

========================================================  ====================
official                                                  mmvg
========================================================  ====================
``vis_enc.beit3.``                                        ``backbone.``
``head.query_embed.``                                     ``head.query_generator.query_embed.``
``head.text_guided_query_generation_transformer.``        ``head.query_generator.decoder.``
``head.transformer.``                                     ``head.``
detrex layers (the query generator; SimVG's decoder):
  ``.attentions.0.`` / ``.attentions.1.`` / ``.ffns.0.``  ``.self_attn.`` / ``.cross_attn.`` / ``.ffn.``
  ``post_norm_layer``                                     ``post_norm``
``head.class_embed_decoder`` / ``bbox_embed_decoder``      ``head.cls_branch`` / ``reg_branch``
``head.class_embed_token`` / ``bbox_embed_token``         ``head.cls_token_branch`` / ``reg_token_branch``
``head.mlp.`` (SimVG's token MLP)                         ``head.token_mlp.``
``head.criterion.empty_weight`` (and SimVG's
``head.criterion_harddistill.empty_weight``)              left out: ``loss_cls``'s class weight
========================================================  ====================

Everything else under ``head.`` keeps its name (ALVG's decoder layers
already carry mmvg's names).
"""  # noqa: E501
import argparse
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

#: (pattern, replacement) applied in order to each key.
RENAMES = (
    (r'^vis_enc\.beit3\.', 'backbone.'),
    (r'^head\.query_embed\.', 'head.query_generator.query_embed.'),
    (r'^head\.text_guided_query_generation_transformer\.',
     'head.query_generator.decoder.'),
    (r'^head\.transformer\.', 'head.'),
    # detrex's layer names, in the query generator and SimVG's decoder.
    (r'^(head\.(query_generator\.)?decoder\.layers\.\d+)\.attentions\.0\.',
     r'\1.self_attn.'),
    (r'^(head\.(query_generator\.)?decoder\.layers\.\d+)\.attentions\.1\.',
     r'\1.cross_attn.'),
    (r'^(head\.(query_generator\.)?decoder\.layers\.\d+)\.ffns\.0\.',
     r'\1.ffn.'),
    (r'^(head\.(query_generator\.)?decoder)\.post_norm_layer\.',
     r'\1.post_norm.'),
    (r'^head\.class_embed_decoder\.', 'head.cls_branch.'),
    (r'^head\.bbox_embed_decoder\.', 'head.reg_branch.'),
    (r'^head\.class_embed_token\.', 'head.cls_token_branch.'),
    (r'^head\.bbox_embed_token\.', 'head.reg_token_branch.'),
    (r'^head\.mlp\.', 'head.token_mlp.'),
)
#: The no-object weight of the official criteria: mmvg's head holds it
#: as its ``loss_cls`` class weight (config), not as a tensor.
EMPTY_WEIGHT = re.compile(r'^head\.criterion(_harddistill)?\.empty_weight$')


def convert_simvg(
        state_dict: Dict[str, torch.Tensor],
        source: str = 'checkpoint') -> Tuple[OrderedDict, OrderedDict]:
    """Rename an official SimVG or ALVG state dict's keys to mmvg's.

    Args:
        state_dict (dict): The official state dict (``module.`` or not).
        source (str): Names the file in errors.

    Returns:
        tuple[OrderedDict, OrderedDict]: The renamed tensors and the
        tensors left out (the criteria's ``empty_weight``).

    Raises:
        ValueError: The state dict holds no BEiT-3 encoder under
            ``vis_enc.beit3.`` (another model's checkpoint).
    """
    state_dict = OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state_dict.items())
    if not any(key.startswith('vis_enc.beit3.') for key in state_dict):
        first = next(iter(state_dict), None)
        raise ValueError(
            f'{source} is not a SimVG or ALVG checkpoint: no key under '
            f'"vis_enc.beit3." (first key: {first!r})')
    converted, dropped = OrderedDict(), OrderedDict()
    for key, value in state_dict.items():
        if EMPTY_WEIGHT.match(key):
            dropped[key] = value
            continue
        for pattern, replacement in RENAMES:
            key = re.sub(pattern, replacement, key)
        converted[key] = value
    return converted, dropped


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description='Convert an official SimVG or ALVG checkpoint into mmvg '
        'keys.')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--ema',
        action='store_true',
        help="convert the EMA weights ('ema_state_dict') instead")
    args = parser.parse_args(argv)
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    key = 'ema_state_dict' if args.ema else 'state_dict'
    if key not in checkpoint:
        raise KeyError(f'{args.src} has no {key!r} (it has '
                       f'{sorted(checkpoint)[:8]})')
    converted, dropped = convert_simvg(checkpoint[key], args.src)
    torch.save(dict(state_dict=converted), args.dst)
    note = ''.join(f'; left out {name} = {weight.tolist()}'
                   for name, weight in dropped.items())
    if dropped:
        note += " (the head's loss_cls class_weight)"
    print(f'Saved {len(converted)} tensors of {key} to {args.dst}{note}')


if __name__ == '__main__':
    main()
