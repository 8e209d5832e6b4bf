# Copyright (c) mmvg contributors. All rights reserved.
"""Import MDETR COCO-style json (``final_<dataset>_<split>.json``).

Each ``images`` entry is one (image, caption) pair with its size; the
``annotations`` of that entry (xywh boxes, ``tokens_positive`` spans) are
its targets. Output: ``<dataset>_<split-by>_<split>.json``.

Example::

    python data_tools/import_mdetr.py \
        --json data/mdetr_annotations/final_refcoco_val.json --split val \
        --data-root data --image-dir coco/train2014 \
        --out-dir data/annotations
"""
import argparse

from mmvg.datasets.importers.common import (add_common_args, add_split_by_arg,
                                            finish_import)
from mmvg.datasets.importers.derived import import_mdetr
from mmvg.datasets.importers.refer import load_json

IMPORTER_VERSION = '1.0'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--json', required=True, help='the MDETR json')
    parser.add_argument('--split', required=True, help='its split name')
    parser.add_argument(
        '--dataset', help='dataset name (default: the dataset_name field)')
    add_split_by_arg(parser)
    add_common_args(parser, image_dir='coco/train2014')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    out, summary = import_mdetr(
        load_json(args.json),
        args.split,
        args.image_dir,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images,
        dataset=args.dataset,
        split_by=args.split_by,
        json_file=args.json)
    return finish_import(out, summary, args.out_dir, [args.json],
                         'import_mdetr', IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
