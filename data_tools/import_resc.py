# Copyright (c) mmvg contributors. All rights reserved.
"""Import ReSC / TransVG ``.pth`` split files (e.g. ``unc_val.pth``).

Box formats differ by dataset: RefCOCO-family files store xywh, ReferIt
and Flickr files store corners already; ``--dataset`` picks the rule.
The files keep no image sizes, so the images are read (headers only).
Output: ``<dataset>_<split-by>_<split>.json``.

Example::

    python data_tools/import_resc.py --pth data/split/data/unc/unc_val.pth \
        --dataset refcoco --split val --data-root data \
        --image-dir coco/train2014 --out-dir data/annotations
"""
import argparse

from mmvg.datasets.importers.common import (add_common_args, add_split_by_arg,
                                            finish_import)
from mmvg.datasets.importers.derived import import_resc

IMPORTER_VERSION = '1.0'
DATASETS = ('refcoco', 'refcoco+', 'refcocog', 'referit', 'flickr')


def load_split_file(path: str, trust: bool) -> list:
    """Load a ``.pth`` split file, with ``weights_only`` unless trusted."""
    import torch
    try:
        return torch.load(path, weights_only=not trust)
    except FileNotFoundError:
        raise FileNotFoundError(f'Split file not found: {path}') from None
    except Exception as e:
        raise ValueError(
            f'Cannot read {path} with weights_only=True ({e}). If the file '
            'comes from a source you trust, pass --trust-pickle.') from e


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog='Security: .pth files are pickles. They are read with '
        'torch.load(weights_only=True), which refuses code; only the file '
        'you name is read.')
    parser.add_argument('--pth', required=True, help='the .pth split file')
    parser.add_argument('--dataset', required=True, choices=DATASETS)
    parser.add_argument('--split', required=True, help='its split name')
    parser.add_argument(
        '--trust-pickle',
        action='store_true',
        help='load with weights_only=False (only for files you trust)')
    add_split_by_arg(parser)
    add_common_args(parser, image_dir='coco/train2014')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    out, summary = import_resc(
        load_split_file(args.pth, args.trust_pickle),
        args.dataset,
        args.split,
        args.image_dir,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images,
        split_by=args.split_by)
    return finish_import(out, summary, args.out_dir, [args.pth], 'import_resc',
                         IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
