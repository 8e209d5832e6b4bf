# Copyright (c) mmvg contributors. All rights reserved.
"""Convert an official LAVT checkpoint into an mmvg ``LAVT`` state dict.

Both official layouts are read:

- ``lavt``: ``model`` (``backbone.*``, ``classifier.*``) plus a separate
  ``bert_model`` (a BERT without pooler);
- ``lavt_one``: ``model`` with the BERT inside as ``text_encoder.*``.

Both become the same mmvg keys: ``backbone.*`` (mmdet's Swin names plus
``pwams``/``lang_gates``), ``head.*`` and ``text_encoder.bert.*``.
Point-wise ``Conv1d`` weights of the PWAMs become ``Linear`` weights.
"""
import argparse
import re
from collections import OrderedDict

import torch
from mmdet.models.backbones.swin import swin_converter

# Official PWAM sub-module -> mmvg sub-module.
_PWAM_NAMES = {
    'vis_project.0': 'vis_proj',
    'image_lang_att.f_query.0': 'attn.query_proj',
    'image_lang_att.f_key.0': 'attn.key_proj',
    'image_lang_att.f_value.0': 'attn.value_proj',
    'image_lang_att.W.0': 'attn.out_proj',
    'project_mm.0': 'mm_proj',
}
# Official decoder level suffix -> index of mmvg's fuse layer.
_DECODER_LEVELS = {'4': 0, '3': 1, '2': 2}
_BERT_PREFIX = 'text_encoder.bert.'
# BERT tensors LAVT never uses (the pooler is removed; position ids are
# rebuilt by ``transformers``).
_BERT_DROPPED = ('pooler.', 'embeddings.position_ids')


def _convert_backbone(state_dict: dict) -> OrderedDict:
    swin = OrderedDict()
    fused = OrderedDict()
    for key, value in state_dict.items():
        match = re.match(r'layers\.(\d+)\.(fusion|res_gate)\.(.+)$', key)
        if match is None:
            swin[key] = value
            continue
        stage, part, rest = match.groups()
        if part == 'res_gate':
            fused[f'backbone.lang_gates.{stage}.{rest}'] = value
            continue
        module, param = rest.rsplit('.', 1)
        if module not in _PWAM_NAMES:
            raise KeyError(f'unknown PWAM key "backbone.{key}"')
        fused[f'backbone.pwams.{stage}.{_PWAM_NAMES[module]}.{param}'] = (
            value.squeeze(-1) if param == 'weight' else value)
    converted = swin_converter(swin)
    converted.update(fused)
    return converted


def _convert_decoder(state_dict: dict) -> OrderedDict:
    converted = OrderedDict()
    for key, value in state_dict.items():
        match = re.match(r'(conv|bn)(\d)_(\d)\.(.+)$', key)
        if match is None:
            raise KeyError(f'unknown decoder key "classifier.{key}"')
        kind, index, level, param = match.groups()
        if level == '1':
            converted[f'head.conv_seg.{param}'] = value
            continue
        layer = f'head.fuse_layers.{_DECODER_LEVELS[level]}.' \
                f'{int(index) - 1}'
        converted[f'{layer}.{kind}.{param}'] = value
    return converted


def _convert_bert(state_dict: dict) -> OrderedDict:
    return OrderedDict((_BERT_PREFIX + k, v) for k, v in state_dict.items()
                       if not k.startswith(_BERT_DROPPED))


def _split(state_dict: dict, prefix: str) -> OrderedDict:
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def convert(checkpoint: dict) -> OrderedDict:
    """Map an official LAVT checkpoint (``lavt`` or ``lavt_one``) to mmvg.

    Args:
        checkpoint (dict): The loaded official checkpoint, with ``model``
            and, for ``lavt``, ``bert_model``.

    Returns:
        OrderedDict: The mmvg state dict.

    Raises:
        KeyError: If a key is not part of LAVT, or BERT is missing.
    """
    model = checkpoint['model']
    model = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in model.items())
    unknown = [
        k for k in model
        if not k.startswith(('backbone.', 'classifier.', 'text_encoder.'))
    ]
    if unknown:
        raise KeyError(f'keys not part of LAVT: {unknown[:5]}')
    bert = _split(model, 'text_encoder.')
    if not bert:
        if 'bert_model' not in checkpoint:
            raise KeyError('neither "text_encoder.*" in "model" (lavt_one) '
                           'nor "bert_model" (lavt) in the checkpoint')
        bert = checkpoint['bert_model']
    converted = _convert_backbone(_split(model, 'backbone.'))
    converted.update(_convert_decoder(_split(model, 'classifier.')))
    converted.update(_convert_bert(bert))
    return converted


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an official LAVT checkpoint (lavt or lavt_one) '
        'into mmvg keys.')
    parser.add_argument('src', help='official LAVT checkpoint')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    # The official checkpoints pickle their argparse.Namespace under
    # 'args': allow that one class rather than unpickling arbitrary code.
    with torch.serialization.safe_globals([argparse.Namespace]):
        checkpoint = torch.load(
            args.src, map_location='cpu', weights_only=True)
    state_dict = convert(checkpoint)
    torch.save(dict(state_dict=state_dict), args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
