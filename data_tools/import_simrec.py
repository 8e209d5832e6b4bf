# Copyright (c) mmvg contributors. All rights reserved.
"""Import SimREC annotations (``anns/<dataset>.json`` + ``masks/``).

SimREC stores ``{split: [{iid, bbox (xywh), cat_id, refs, mask_id}]}``
and one ``masks/<dataset>/<mask_id>.npy`` per ref. It keeps no image
sizes, so the images are read (headers only). Output:
``<dataset>_<split-by>_<split>.json``.

Example::

    python data_tools/import_simrec.py --anns data/anns/refcoco.json \
        --masks-dir data/masks/refcoco --dataset refcoco --data-root data \
        --image-dir coco/train2014 --out-dir data/annotations
"""
import argparse

from mmvg.datasets.importers.common import (add_common_args, add_split_by_arg,
                                            finish_import)
from mmvg.datasets.importers.derived import import_simrec
from mmvg.datasets.importers.refer import load_json

IMPORTER_VERSION = '1.0'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--anns', required=True, help='anns/<dataset>.json')
    parser.add_argument(
        '--masks-dir', help='masks/<dataset> (optional: boxes only)')
    parser.add_argument(
        '--dataset',
        required=True,
        help='refcoco, refcoco+, refcocog, referit or flickr (names the '
        'image files)')
    add_split_by_arg(parser)
    add_common_args(parser, image_dir='coco/train2014')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    out, summary = import_simrec(
        load_json(args.anns),
        args.dataset,
        args.image_dir,
        masks_dir=args.masks_dir,
        splits=args.splits,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images,
        split_by=args.split_by,
        anns_file=args.anns)
    return finish_import(out, summary, args.out_dir, [args.anns],
                         'import_simrec', IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
