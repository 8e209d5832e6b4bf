# Copyright (c) mmvg contributors. All rights reserved.
"""Import RefCOCO / RefCOCO+ / RefCOCOg / RefCLEF (ReferIt) refer files.

Reads ``REFER_DIR/instances.json`` and ``REFER_DIR/refs(<split-by>).p``
and writes one canonical file per split,
``OUT_DIR/<dataset>_<split-by>_<split>.json``, then prints the number of
expressions per split against the published counts.

Example::

    python data_tools/import_refer.py --refer-dir data/refcoco \
        --dataset refcoco --split-by unc --data-root data \
        --image-dir coco/train2014 --out-dir data/mmvg_anns
"""
import argparse

from mmvg.datasets.importers.common import add_common_args
from mmvg.datasets.importers.refer import run_refer_import


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog='Security: refs(<split-by>).p is a Python pickle, and '
        'loading a pickle can run code. This tool loads only the file '
        'inside the --refer-dir you give, never one it searches for; use '
        'files from a source you trust. The canonical files it writes are '
        'JSON, never pickles.')
    parser.add_argument(
        '--refer-dir',
        required=True,
        help='directory holding instances.json and refs(<split-by>).p')
    parser.add_argument(
        '--dataset',
        required=True,
        choices=[
            'refcoco', 'refcoco+', 'refcocog', 'refclef', 'referit',
            'synthetic'
        ],
        help='dataset name (refclef is imported as referit; synthetic: '
        'the output of make_synthetic.py)')
    parser.add_argument(
        '--split-by',
        required=True,
        help='split scheme: unc (RefCOCO, RefCOCO+), umd or google '
        '(RefCOCOg), berkeley or unc (RefCLEF)')
    add_common_args(parser, image_dir='coco/train2014')
    parser.add_argument(
        '--text-field',
        default='sent',
        choices=['sent', 'raw'],
        help='sentence field to use: the normalised "sent" or the "raw" '
        'text')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    return run_refer_import(
        refer_dir=args.refer_dir,
        dataset=args.dataset,
        split_by=args.split_by,
        out_dir=args.out_dir,
        data_root=None if args.no_image_check else args.data_root,
        image_dir=args.image_dir,
        splits=args.splits,
        skip_bad_images=args.skip_bad_images,
        fmt=args.format,
        text_field=args.text_field)


if __name__ == '__main__':
    main()
