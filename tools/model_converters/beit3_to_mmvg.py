# Copyright (c) mmvg contributors. All rights reserved.
"""Convert a BEiT-3 release checkpoint into an mmvg encoder checkpoint.

The release files (microsoft/unilm beit3, ``{'model': ...}``) hold the
encoder under ``beit3.``, named as torchscale's ``BEiT3``, which mmvg's
:class:`~mmvg.models.backbones.BEiT3` reproduces:

==================  =========================================
release             mmvg
==================  =========================================
``beit3.``          ``backbone.`` (``--prefix``)
anything else       left out and listed (task heads such as
                    ``language_head``, ``vision_head``,
                    ``logit_scale``, ``pooler``, ``head``)
==================  =========================================

For another image or patch size than the release's (ALVG: 640 and 32),
the patch kernel is resized bicubically and the vision position table
interpolated bicubically, by the function the backbone itself uses when
it loads a release file through ``init_cfg``.
"""
import argparse

import torch

from mmvg.engine import load_checkpoint_file
from mmvg.models.backbones.beit3 import convert_beit3_release


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert a BEiT-3 release checkpoint (beit3_*.pth / '
        '.zip) into mmvg keys for the BEiT3 backbone.')
    parser.add_argument('src', help='release checkpoint')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--img-size',
        type=int,
        default=640,
        help='image size of the target model (default: 640, as ALVG)')
    parser.add_argument(
        '--patch-size',
        type=int,
        default=32,
        help='patch size of the target model (default: 32, as ALVG)')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='prefix of the encoder in the model (default: backbone.)')
    args = parser.parse_args()
    checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    state_dict = checkpoint.get('model', checkpoint.get('module', checkpoint))
    converted, dropped = convert_beit3_release(state_dict, args.img_size,
                                               args.patch_size, args.src)
    prefixed = {args.prefix + k: v for k, v in converted.items()}
    torch.save(dict(state_dict=prefixed), args.dst)
    print(f'Saved {len(converted)} tensors of the BEiT-3 encoder '
          f'({args.img_size}/{args.patch_size}) to {args.dst}' +
          (f'; left out {len(dropped)}: {", ".join(dropped)}'
           if dropped else ''))


if __name__ == '__main__':
    main()
