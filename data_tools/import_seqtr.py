# Copyright (c) mmvg contributors. All rights reserved.
"""Import SeqTR / SimVG ``instances.json`` (``{split: [ann]}``).

An ann holds ``image_id``, an xywh ``bbox`` (gRefCOCO: one list of boxes
per expression, an all-zero box for no target), ``expressions`` and an
optional polygon/RLE ``mask``. Output: ``<dataset>_<split-by>_<split>.json``.

Example::

    python data_tools/import_seqtr.py \
        --instances data/seqtr_type/annotations/refcoco-unc/instances.json \
        --dataset refcoco --data-root data --image-dir coco/train2014 \
        --out-dir data/annotations
"""
import argparse

from mmvg.datasets.importers.common import (add_common_args, add_split_by_arg,
                                            finish_import)
from mmvg.datasets.importers.derived import import_seqtr
from mmvg.datasets.importers.refer import load_json

IMPORTER_VERSION = '1.0'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--instances', required=True, help='instances.json')
    parser.add_argument(
        '--dataset',
        required=True,
        help='refcoco, refcoco+, refcocog, grefcoco, referit or flickr '
        '(names the image files)')
    add_split_by_arg(parser)
    add_common_args(parser, image_dir='coco/train2014')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    out, summary = import_seqtr(
        load_json(args.instances),
        args.dataset,
        args.image_dir,
        splits=args.splits,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images,
        split_by=args.split_by)
    return finish_import(out, summary, args.out_dir, [args.instances],
                         'import_seqtr', IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
