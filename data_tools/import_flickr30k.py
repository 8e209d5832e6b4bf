# Copyright (c) mmvg contributors. All rights reserved.
"""Import Flickr30k Entities.

Reads ``FLICKR_DIR/Sentences/*.txt`` (``[/EN#<id>/<type> phrase]``
markup), ``FLICKR_DIR/Annotations/*.xml`` (corner-format boxes; scene and
notvisual entities have none) and ``FLICKR_DIR/{train,val,test}.txt``.
``--mode rec`` writes one record per phrase with the merged box of its
entity (the REC protocol of ReSC/TransVG); ``--mode phrase`` writes one
record per sentence whose ``phrases`` carry the character spans and all
boxes (phrase grounding). Output: ``flickr30k_entities_<split>.json``
(``flickr30k_phrase_<split>.json`` in phrase mode).

Example::

    python data_tools/import_flickr30k.py --flickr-dir \
        data/flickr30k/flickr30k_entities --data-root data \
        --image-dir flickr30k/flickr30k-images --out-dir data/annotations
"""
import argparse
import os.path as osp

from mmvg.datasets.importers.common import add_common_args, finish_import
from mmvg.datasets.importers.flickr30k import import_flickr30k

IMPORTER_VERSION = '1.0'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1].split('Example')[0])
    parser.add_argument(
        '--flickr-dir',
        required=True,
        help='holds Sentences/, Annotations/ and the split lists')
    parser.add_argument(
        '--mode',
        default='rec',
        choices=['rec', 'phrase'],
        help='one record per phrase (rec) or per sentence (phrase)')
    add_common_args(parser, image_dir='flickr30k/flickr30k-images')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    out, summary = import_flickr30k(
        args.flickr_dir,
        args.image_dir,
        mode=args.mode,
        splits=args.splits,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images)
    if args.mode == 'phrase':
        summary.split_by = 'phrase'
    sources = [osp.join(args.flickr_dir, f'{s}.txt') for s in out]
    return finish_import(out, summary, args.out_dir, sources,
                         'import_flickr30k', IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
