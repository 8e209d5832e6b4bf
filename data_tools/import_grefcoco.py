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
import os.path as osp

from mmvg.datasets.importers.common import add_common_args, finish_import
from mmvg.datasets.importers.refer import import_refs, load_json

IMPORTER_VERSION = '1.0'


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
    refs_path = osp.join(args.grefcoco_dir, 'grefs(unc).json')
    ins_path = osp.join(args.grefcoco_dir, 'instances.json')
    refs = load_json(refs_path)
    instances = load_json(ins_path)
    out, summary = import_refs(
        refs,
        instances,
        'grefcoco',
        'unc',
        args.image_dir,
        splits=args.splits,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images,
        refs_file=refs_path,
        instances_file=ins_path)
    for split, records in out.items():
        summary.add(split, 'no_target', sum(r['no_target'] for r in records))
        summary.add(split, 'multi_target',
                    sum(len(r['bboxes']) > 1 for r in records))

    return finish_import(out, summary, args.out_dir, [refs_path, ins_path],
                         'import_grefcoco', IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
