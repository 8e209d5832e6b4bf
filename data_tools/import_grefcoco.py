# Copyright (c) mmvg contributors. All rights reserved.
"""Import gRefCOCO (``grefs(unc).json`` + ``instances.json``).

Expressions may refer to several objects (all their boxes are kept, the
mask is the union) or to none (``ann_id == [-1]``: no box, an empty
mask, ``no_target: true``). Writes ``OUT_DIR/grefcoco_unc_<split>.json``.

Example::

    python data_tools/import_grefcoco.py --grefcoco-dir data/grefcoco \
        --data-root data --image-dir coco/train2014 \
        --out-dir data/annotations
"""
import argparse

from mmvg.datasets.importers.common import add_common_args
from mmvg.datasets.importers.refer import run_grefcoco_import


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--grefcoco-dir',
        required=True,
        help='directory holding grefs(unc).json and instances.json')
    add_common_args(parser, image_dir='coco/train2014')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    return run_grefcoco_import(
        args.grefcoco_dir,
        args.out_dir,
        data_root=None if args.no_image_check else args.data_root,
        image_dir=args.image_dir,
        splits=args.splits,
        skip_bad_images=args.skip_bad_images,
        fmt=args.format)


if __name__ == '__main__':
    main()
