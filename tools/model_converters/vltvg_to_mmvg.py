# Copyright (c) mmvg contributors. All rights reserved.
"""Convert an official VLTVG checkpoint (or the DETR checkpoint it starts
from) into an mmvg checkpoint.

    python tools/model_converters/vltvg_to_mmvg.py VLTVG_R50_unc.pth \
        vltvg_r50_90e_refcoco.pth

A full VLTVG checkpoint must map completely: a key without a rule (e.g. a
checkpoint of another model) stops the conversion and lists the keys. With
``--detr``, a DETR checkpoint (the ``detr-r50-*.pth`` files VLTVG
initialises from) gives the backbone, input projection and visual encoder
only, as the official code loads them; its detection decoder and heads are
dropped.
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

Rules = List[Tuple[str, str]]

# (official key pattern, mmvg key template); patterns match whole keys.
_BACKBONE_RULES: Rules = [
    (r'backbone\.0\.body\.(.+)', r'backbone.\1'),
    (r'input_proj\.(weight|bias)', r'input_proj.\1'),
]
_ENCODER_LAYER_RULES: Rules = [
    (r'self_attn\.(in_proj_weight|in_proj_bias)', r'self_attn.attn.\1'),
    (r'self_attn\.out_proj\.(weight|bias)', r'self_attn.attn.out_proj.\1'),
    (r'linear1\.(weight|bias)', r'ffn.layers.0.0.\1'),
    (r'linear2\.(weight|bias)', r'ffn.layers.1.\1'),
    (r'norm1\.(weight|bias)', r'norms.0.\1'),
    (r'norm2\.(weight|bias)', r'norms.1.\1'),
]
_ATTN = r'(in_proj_weight|in_proj_bias|out_proj\.weight|out_proj\.bias)'
_VG_DEC = r'trans_decoder\.decoder\.'
_EXTRA = _VG_DEC + r'extra_encoder_layers\.0\.'
_VLTVG_RULES: Rules = [
    (r'bert\.(.+)', r'text_encoder.bert.\1'),
    (r'bert_proj\.(weight|bias)', r'text_proj.\1'),
    (_EXTRA + r'img2text_attn\.' + _ATTN, r'verification.text_attn.\1'),
    (_EXTRA + r'text_proj\.layers\.0\.(weight|bias)',
     r'verification.text_proj.\1'),
    (_EXTRA + r'img_proj\.layers\.0\.(weight|bias)',
     r'verification.img_proj.\1'),
    (_EXTRA + r'tf_scale', r'verification.score_scale'),
    (_EXTRA + r'tf_sigma', r'verification.sigma'),
    (_EXTRA + r'img2textcond_attn\.' + _ATTN, r'context_encoder.text_attn.\1'),
    (_EXTRA + r'img2img_attn\.(in_proj_weight|in_proj_bias|pos_x|pos_y|'
     r'out_proj\.weight|out_proj\.bias)', r'context_encoder.context_attn.\1'),
    (_EXTRA + r'norm_text_cond_img\.(weight|bias)',
     r'context_encoder.norm_context.\1'),
    (_EXTRA + r'norm_img\.(weight|bias)', r'context_encoder.norm_img.\1'),
    (_VG_DEC + r'layers\.(\d+)\.word_attn\.' + _ATTN,
     r'decoder.layers.\1.text_attn.\2'),
    (_VG_DEC + r'layers\.(\d+)\.img_attn\.' + _ATTN,
     r'decoder.layers.\1.img_attn.\2'),
    (_VG_DEC + r'layers\.(\d+)\.ffn\.0\.(weight|bias)',
     r'decoder.layers.\1.ffn.layers.0.0.\2'),
    (_VG_DEC + r'layers\.(\d+)\.ffn\.3\.(weight|bias)',
     r'decoder.layers.\1.ffn.layers.1.\2'),
    (_VG_DEC + r'layers\.(\d+)\.norm\.([012])\.(weight|bias)',
     r'decoder.layers.\1.norms.\2.\3'),
    (_VG_DEC + r'norm\.(weight|bias)', r'decoder.norm.\1'),
    (_VG_DEC + r'vis_query_embed\.weight', r'decoder.query_pos.weight'),
    (_VG_DEC + r'text_query_embed\.weight', r'decoder.text_query_pos.weight'),
    (r'bbox_embed\.layers\.(\d)\.(weight|bias)', r'head.reg_layers.\1.\2'),
]
# Parts of a DETR checkpoint that VLTVG does not use.
_DETR_UNUSED = re.compile(r'transformer\.decoder\.|class_embed\.|'
                          r'bbox_embed\.|query_embed\.')


def _encoder_key(rest: str) -> str:
    match = re.fullmatch(r'layers\.(\d+)\.(.+)', rest)
    if match is None:
        return None
    layer, name = match.groups()
    for pattern, template in _ENCODER_LAYER_RULES:
        if re.fullmatch(pattern, name):
            return f'visual_encoder.layers.{layer}.' + re.sub(
                pattern, template, name)
    return None


def map_key(key: str, rules: Rules, encoder_prefix: str) -> str:
    """The mmvg name of an official key, or None without a rule.

    Args:
        key (str): An official state-dict key.
        rules (list[tuple[str, str]]): (pattern, template) pairs.
        encoder_prefix (str): The official prefix of the visual encoder
            (``trans_encoder.encoder.`` in VLTVG, ``transformer.encoder.``
            in DETR).

    Returns:
        str | None: The mmvg key.
    """
    if key.startswith(encoder_prefix):
        return _encoder_key(key[len(encoder_prefix):])
    for pattern, template in rules:
        if re.fullmatch(pattern, key):
            return re.sub(pattern, template, key)
    return None


def _convert(state_dict: Dict[str, torch.Tensor],
             rules: Rules,
             encoder_prefix: str,
             skip: re.Pattern = None) -> OrderedDict:
    converted, unmatched = OrderedDict(), []
    for key, value in state_dict.items():
        if skip is not None and skip.match(key):
            continue
        new_key = map_key(key, rules, encoder_prefix)
        if new_key is None:
            unmatched.append(key)
        else:
            converted[new_key] = value
    if unmatched:
        listed = '\n  '.join(unmatched[:50])
        more = f'\n  ... and {len(unmatched) - 50} more' \
            if len(unmatched) > 50 else ''
        raise KeyError(
            f'{len(unmatched)} keys of the checkpoint have no VLTVG '
            f'counterpart; is it a checkpoint of another model?\n  '
            f'{listed}{more}')
    return converted


def convert_vltvg(state_dict: Dict[str, torch.Tensor]) -> OrderedDict:
    """Rename every key of an official VLTVG state dict to mmvg's.

    Args:
        state_dict (dict): The official ``model`` state dict.

    Returns:
        OrderedDict: The mmvg ``VLTVG`` state dict.

    Raises:
        KeyError: Listing the keys without a counterpart.
    """
    return _convert(state_dict, _BACKBONE_RULES + _VLTVG_RULES,
                    'trans_encoder.encoder.')


def convert_detr(state_dict: Dict[str, torch.Tensor]) -> OrderedDict:
    """Take the backbone, input projection and encoder of a DETR model.

    Args:
        state_dict (dict): A DETR ``model`` state dict.

    Returns:
        OrderedDict: The matching part of an mmvg ``VLTVG`` state dict.
    """
    return _convert(
        state_dict, _BACKBONE_RULES, 'transformer.encoder.', skip=_DETR_UNUSED)


def load_official(path: str, trust: bool = False) -> Dict[str, torch.Tensor]:
    """Load the ``model`` state dict of an official checkpoint.

    The official files also pickle an ``argparse.Namespace`` of the run's
    arguments; that class is allowed, everything else stays under
    ``weights_only=True`` unless ``trust`` is set.
    """
    if trust:
        checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    else:
        with torch.serialization.safe_globals([argparse.Namespace]):
            checkpoint = torch.load(path, map_location='cpu')
    return checkpoint.get('model', checkpoint)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official VLTVG (or DETR) checkpoint to mmvg')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='where to save the mmvg checkpoint')
    parser.add_argument(
        '--detr',
        action='store_true',
        help='the source is a DETR checkpoint (detr-r50-unc.pth, ...): keep '
        'its backbone, input projection and encoder only')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle the source without weights_only (only for files you '
        'trust) when it holds objects other than tensors and arguments')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state_dict = load_official(args.src, args.trust)
    convert = convert_detr if args.detr else convert_vltvg
    converted = convert(state_dict)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(converted_from=args.src, source='yangli18/VLTVG')),
        args.dst)
    print(f'Saved {len(converted)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
