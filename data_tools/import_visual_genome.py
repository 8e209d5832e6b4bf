# Copyright (c) mmvg contributors. All rights reserved.
"""Import Visual Genome region descriptions (pretraining only).

Reads ``region_descriptions.json`` and ``image_data.json`` (sizes and
``coco_id``, kept on every record so that ``merge_pretrain.py`` can drop
images shared with RefCOCO val/test) and writes
``visual_genome_regions_train.jsonl``.

Example::

    python data_tools/import_visual_genome.py --vg-dir data/vg \
        --data-root data --image-dir vg --out-dir data/annotations
"""
import argparse
import os.path as osp

from mmvg.datasets.importers.common import add_common_args, finish_import
from mmvg.datasets.importers.refer import load_json
from mmvg.datasets.importers.visual_genome import import_visual_genome

IMPORTER_VERSION = '1.0'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--vg-dir',
        required=True,
        help='holds region_descriptions.json and image_data.json')
    add_common_args(parser, image_dir='vg')
    parser.set_defaults(format='jsonl')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    regions_path = osp.join(args.vg_dir, 'region_descriptions.json')
    images_path = osp.join(args.vg_dir, 'image_data.json')
    out, summary = import_visual_genome(
        load_json(regions_path),
        load_json(images_path),
        args.image_dir,
        image_root=None if args.no_image_check else args.data_root,
        skip_bad_images=args.skip_bad_images,
        regions_file=regions_path,
        images_file=images_path)
    return finish_import(out, summary, args.out_dir,
                         [regions_path, images_path], 'import_visual_genome',
                         IMPORTER_VERSION, args.format)


if __name__ == '__main__':
    main()
