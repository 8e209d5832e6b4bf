# Copyright (c) mmvg contributors. All rights reserved.
"""Merge canonical training files into the mixed pretraining set.

Every record whose image is in a held-out file (RefCOCO/+/g and gRefCOCO
val and test) is removed: COCO-based records by ``image_id``, Visual
Genome records by their ``coco_id``. The number removed per source is
printed. Without this filter, pretraining on VG or RefCOCO train sees
images of the evaluation splits.

Example::

    python data_tools/merge_pretrain.py \
        --train data/annotations/refcoco_unc_train.json \
            data/annotations/refcoco+_unc_train.json \
            data/annotations/refcocog_umd_train.json \
            data/annotations/referit_berkeley_train.json \
            data/annotations/flickr30k_entities_train.json \
            data/annotations/visual_genome_regions_train.jsonl \
        --held-out data/annotations/refcoco_unc_{val,testA,testB}.json \
            data/annotations/refcoco+_unc_{val,testA,testB}.json \
            data/annotations/refcocog_umd_{val,test}.json \
            data/annotations/refcocog_google_val.json \
            data/annotations/grefcoco_unc_{val,testA,testB}.json \
        --out data/annotations/mixed_pretrain_train.jsonl
"""
import argparse

from mmvg.datasets.canonical import dump_canonical, make_metainfo
from mmvg.datasets.importers.visual_genome import (held_out_coco_ids,
                                                   merge_pretrain)

IMPORTER_VERSION = '1.0'


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--train', nargs='+', required=True, help='canonical train files')
    parser.add_argument(
        '--held-out',
        nargs='+',
        required=True,
        help='canonical val/test files of the COCO-based datasets')
    parser.add_argument('--out', required=True, help='output file')
    args = parser.parse_args(argv)
    held_out = held_out_coco_ids(args.held_out)
    records, removed = merge_pretrain(args.train, held_out)
    dump_canonical(
        args.out,
        make_metainfo(
            'mixed_pretrain',
            'mixed',
            'train',
            args.train + args.held_out,
            'merge_pretrain',
            IMPORTER_VERSION,
            held_out_images=len(held_out)), records)
    print(f'{len(held_out)} held-out COCO images; removed records per '
          f'source: {dict(removed) or "none"}; '
          f'{len(records)} records -> {args.out}')
    return dict(records=len(records), removed=dict(removed))


if __name__ == '__main__':
    main()
