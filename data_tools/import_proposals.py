# Copyright (c) mmvg contributors. All rights reserved.
"""Import region proposals into an mmvg proposals file.

Reads MAttNet's detections (``res101_coco_minus_refer_notime_dets.json``:
``[{image_id, box: [x, y, w, h], score, ...}]``), COCO detection results
(``[{image_id, bbox: [x, y, w, h], score}]``) or, with
``--ground-truth``, a COCO annotation file (``instances.json``: every
annotated box of every image, score 1: VL-BERT's "GT regions", and what
its detected-regions training adds). Every detection is kept; boxes
without area are dropped and counted. The dataset clips the boxes to the
image when it reads them. See ``docs/en/prepare_data.md``.

Example::

    python data_tools/import_proposals.py \
        --dets data/refcoco+/res101_coco_minus_refer_notime_dets.json \
        --name mattnet_res101 \
        --out data/annotations/refcoco+_proposals_mattnet.json
    python data_tools/import_proposals.py --ground-truth \
        --dets data/refcoco+/instances.json --name coco_gt \
        --out data/annotations/refcoco+_proposals_gt.json
"""
import argparse

from mmvg.datasets.importers.proposals import import_proposals

IMPORTER_VERSION = '1.0'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--dets',
        required=True,
        help='MAttNet *_dets.json, COCO detection results, or with '
        '--ground-truth a COCO annotation file')
    parser.add_argument(
        '--ground-truth',
        action='store_true',
        help='read the "annotations" of a COCO annotation file (score 1)')
    parser.add_argument(
        '--name',
        required=True,
        help='name of the proposals, e.g. mattnet_res101; stored in the '
        'metainfo')
    parser.add_argument('--out', required=True, help='the proposals file')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    counts = import_proposals(args.dets, args.name, args.out,
                              args.ground_truth, IMPORTER_VERSION)
    print(f'{args.out}: {counts["boxes"]} proposals of {counts["images"]} '
          f'images from {counts["detections"]} detections; '
          f'{counts["dropped_zero_area"]} without area dropped.')
    return counts


if __name__ == '__main__':
    main()
