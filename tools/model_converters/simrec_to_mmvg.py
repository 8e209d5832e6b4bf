# Copyright (c) mmvg contributors. All rights reserved.
"""Convert an official SimREC or MCN checkpoint into an mmvg state dict.

The official files (luogen1996/SimREC) are ``{'state_dict': ...,
'optimizer': ..., ...}``; ``state_dict`` holds the EMA weights when EMA
was on. mmvg keeps the official names below the top-level modules, so
converting renames prefixes only:

=======================  ===============================
official                 mmvg
=======================  ===============================
``visual_encoder.``      ``backbone.``
``lang_encoder.``        ``text_encoder.``
``fusion_manner.``       ``fusions.`` (SimREC), ``fusion.`` (MCN)
``multi_scale_manner.``  ``neck.``
``attention_manner.``    ``attention.`` (SimREC)
``det_garan.``           ``det_attention.`` (MCN)
``seg_garan.``           ``seg_attention.`` (MCN)
``head.``                ``head.``
=======================  ===============================

The word vocabulary is not in the official checkpoint: the rows of the
word embedding follow the vocabulary built from the annotation file the
model was trained on. Give that vocabulary (``--vocab``, an mmvg vocabulary
JSON built with ``data_tools/build_vocab.py --order first_seen`` from the
same annotations); its size must equal the embedding's rows.
"""
import argparse
import json
from collections import OrderedDict

import torch

from mmvg.models.language_models.gru_sa import check_vocab_size

_SHARED = {
    'visual_encoder.': 'backbone.',
    'lang_encoder.': 'text_encoder.',
    'multi_scale_manner.': 'neck.',
    'head.': 'head.',
}
PREFIXES = {
    'simrec': {
        **_SHARED,
        'fusion_manner.': 'fusions.',
        'attention_manner.': 'attention.',
    },
    'mcn': {
        **_SHARED,
        'fusion_manner.': 'fusion.',
        'det_garan.': 'det_attention.',
        'seg_garan.': 'seg_attention.',
    },
}
EMBEDDING = 'text_encoder.embedding.weight'


def detect_model(state_dict: dict) -> str:
    """``'mcn'`` if the checkpoint has MCN's two GARAN attentions, else
    ``'simrec'``."""
    return 'mcn' if any(k.startswith('det_garan.')
                        for k in state_dict) else 'simrec'


def convert(state_dict: dict, model: str) -> OrderedDict:
    """Rename the official top-level prefixes to mmvg's.

    Args:
        state_dict (dict): The official ``state_dict`` (a ``module.``
            prefix of a DDP wrapper is dropped).
        model (str): ``'simrec'`` or ``'mcn'``.

    Returns:
        OrderedDict: The mmvg state dict.

    Raises:
        KeyError: If a key belongs to neither model.
    """
    prefixes = PREFIXES[model]
    converted = OrderedDict()
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        old = next((p for p in prefixes if key.startswith(p)), None)
        if old is None:
            raise KeyError(f'"{key}" is not a key of an official {model} '
                           f'checkpoint (prefixes: {sorted(prefixes)})')
        converted[prefixes[old] + key[len(old):]] = value
    return converted


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an official SimREC/MCN checkpoint (luogen1996/'
        'SimREC) into mmvg keys, checking the word vocabulary against the '
        'embedding.')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--vocab',
        required=True,
        help='mmvg word vocabulary JSON of the annotations the model was '
        'trained on (data_tools/build_vocab.py --order first_seen); the '
        "config's tokenizer reads the same file")
    parser.add_argument(
        '--model',
        choices=sorted(PREFIXES),
        help='the official model; detected from the keys by default')
    args = parser.parse_args()
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = checkpoint.get('state_dict', checkpoint)
    model = args.model or detect_model(state_dict)
    converted = convert(state_dict, model)
    with open(args.vocab, encoding='utf-8') as f:
        vocab = json.load(f)
    check_vocab_size(vocab, converted[EMBEDDING].size(0),
                     f'{args.vocab} against {args.src}')
    torch.save(dict(state_dict=converted), args.dst)
    print(f'Saved {len(converted)} tensors of {model} to {args.dst}; set '
          f'the tokenizer\'s vocab_file to {args.vocab}')


if __name__ == '__main__':
    main()
