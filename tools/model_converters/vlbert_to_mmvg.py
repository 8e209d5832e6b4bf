# Copyright (c) mmvg contributors. All rights reserved.
"""Convert an official VL-BERT checkpoint into an mmvg state dict.

Three kinds of official file (jackroos/VL-BERT) convert:

- a RefCOCO+ model fine-tuned with the official code (``ResNetVLBERT``,
  ``{'state_dict': ...}``);
- a pre-trained VL-BERT (``vl-bert-{base,large}-{e2e,prec}.model``), the
  starting point of the official fine-tuning: its region-classification
  transform becomes the head's first layer, as the official fine-tuning
  maps it, and its pre-training heads are dropped; the head's last layer
  is not in it and keeps its initialisation;
- the ResNet-101 (``resnet101-pt-vgbua-0000.model``): ``layer4`` becomes
  the RoI head, the rest the backbone, ``fc`` is dropped.

=================================================  =====================
official                                           mmvg
=================================================  =====================
``image_feature_extractor.backbone.``              ``backbone.``
``image_feature_extractor.roi_head_feature_extractor.``  ``roi_head.``
``image_feature_extractor.head.0.``                (the same tensors)
``image_feature_extractor.obj_downsample.``        ``obj_downsample.``
``object_linguistic_embeddings.``                  (same)
``vlbert.``                                        ``vlbert.``
``final_mlp.``                                     ``head.final_mlp.``
``vlbert.mvrc_head.transform.`` (pre-trained)      ``head.final_mlp.0.``
=================================================  =====================

The official model registers its RoI head twice, so every official file
holds it under two names; the converter checks that both hold the same
tensors and keeps one. A leading ``module.`` (DDP) is dropped.
"""
import argparse
from collections import OrderedDict
from typing import Dict, Tuple

import torch

RENAMES = (
    ('image_feature_extractor.backbone.', 'backbone.'),
    ('image_feature_extractor.roi_head_feature_extractor.', 'roi_head.'),
    ('image_feature_extractor.obj_downsample.', 'obj_downsample.'),
    ('object_linguistic_embeddings.', 'object_linguistic_embeddings.'),
    ('vlbert.mvrc_head.transform.', 'head.final_mlp.0.'),
    ('final_mlp.', 'head.final_mlp.'),
    ('vlbert.', 'vlbert.'),
)
#: The second name of the RoI head.
DUPLICATE = ('image_feature_extractor.head.0.',
             'image_feature_extractor.roi_head_feature_extractor.')
#: Pre-training parts that fine-tuning does not use.
PRETRAINING_ONLY = ('vlbert.mlm_head.', 'vlbert.mvrc_head.region_cls_pred.',
                    'object_mask_word_embedding.',
                    'aux_text_visual_embedding.')
RESNET_RENAMES = (('layer4.', 'roi_head.'), ('conv1.', 'backbone.conv1.'),
                  ('bn1.', 'backbone.bn1.'), ('layer1.', 'backbone.layer1.'),
                  ('layer2.', 'backbone.layer2.'), ('layer3.',
                                                    'backbone.layer3.'))


def _strip_module(state_dict: Dict[str, torch.Tensor]) -> OrderedDict:
    return OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state_dict.items())


def convert_vlbert(
        state_dict: Dict[str, torch.Tensor]) -> Tuple[OrderedDict, list]:
    """Rename a fine-tuned or pre-trained VL-BERT's keys.

    Args:
        state_dict (dict): The official ``state_dict``.

    Returns:
        tuple: The mmvg state dict and the pre-training keys left out.

    Raises:
        KeyError: On a key of another model.
        ValueError: When the two names of the RoI head differ.
    """
    state_dict = _strip_module(state_dict)
    converted, dropped = OrderedDict(), []
    for key, value in state_dict.items():
        if key.startswith(DUPLICATE[0]):
            twin = DUPLICATE[1] + key[len(DUPLICATE[0]):]
            if twin not in state_dict or not torch.equal(
                    value, state_dict[twin]):
                raise ValueError(
                    f'"{key}" should hold the same tensor as "{twin}" (the '
                    'official model registers its RoI head twice), but '
                    f'{"it differs" if twin in state_dict else "it is absent"}'
                    ': not an official VL-BERT checkpoint?')
            continue
        if key.startswith(PRETRAINING_ONLY):
            dropped.append(key)
            continue
        old = next((old for old, _ in RENAMES if key.startswith(old)), None)
        if old is None:
            raise KeyError(f'"{key}" is not a key of an official VL-BERT '
                           'checkpoint')
        converted[dict(RENAMES)[old] + key[len(old):]] = value
    return converted, dropped


def convert_resnet(state_dict: Dict[str, torch.Tensor]) -> OrderedDict:
    """The official ResNet-101 as the backbone and the RoI head; ``fc``
    is dropped.

    Raises:
        KeyError: On a key that is not ResNet's.
    """
    converted = OrderedDict()
    for key, value in _strip_module(state_dict).items():
        if key.startswith('fc.'):
            continue
        old = next((o for o, _ in RESNET_RENAMES if key.startswith(o)), None)
        if old is None:
            raise KeyError(f'"{key}" is not a key of a ResNet checkpoint')
        converted[dict(RESNET_RENAMES)[old] + key[len(old):]] = value
    return converted


def is_resnet(state_dict: Dict[str, torch.Tensor]) -> bool:
    """Whether the file is a plain ResNet (``layer4`` at the top)."""
    return any(
        key.startswith(('layer4.', 'module.layer4.')) for key in state_dict)


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an official VL-BERT checkpoint (fine-tuned or '
        'pre-trained VL-BERT, or its ResNet-101) into mmvg keys.')
    parser.add_argument('src', help='official checkpoint (.model or .pth)')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = checkpoint.get('state_dict', checkpoint)
    if is_resnet(state_dict):
        converted, dropped = convert_resnet(state_dict), []
        kind = 'ResNet'
    else:
        converted, dropped = convert_vlbert(state_dict)
        kind = 'VL-BERT'
    torch.save(dict(state_dict=converted), args.dst)
    print(f'Saved {len(converted)} tensors of the {kind} to {args.dst}' +
          (f'; left out {len(dropped)} pre-training tensors '
           f'({", ".join(sorted({k.rsplit(".", 1)[0] for k in dropped}))})'
           if dropped else ''))


if __name__ == '__main__':
    main()
