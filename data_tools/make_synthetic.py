# Copyright (c) mmvg contributors. All rights reserved.
"""Generate a small synthetic grounding dataset in the raw refer format.

Each image shows 2-6 coloured shapes on a grey background; each shape is
a referred object with 1-3 expressions about its colour, shape and
position ("the red circle", "the blue square left of the green
triangle"). The files follow the layout of the public releases, so the
real importers read them::

    OUT_DIR/train2014/COCO_train2014_%012d.jpg
    OUT_DIR/refcoco/instances.json   COCO style, xywh boxes, polygons
    OUT_DIR/refcoco/refs(unc).p      train / val / testA / testB
    OUT_DIR/refcoco/synthetic_dets.json  detections, MAttNet's layout
    OUT_DIR/grefcoco/instances.json  (with --grefcoco)
    OUT_DIR/grefcoco/grefs(unc).json multi-target and no-target refs

Squares are stored as two overlapping rectangles, so a mask must be the
union of an object's polygons (a sum would be wrong where they overlap).
The output depends only on the arguments (deterministic by ``--seed``).

With ``--prepare`` the refer files are also imported into canonical files
(``OUT_DIR/annotations/synthetic_unc_<split>.json``), the train
split's word vocabulary is built (``OUT_DIR/annotations/vocab.json``) and
the detections and annotated boxes are imported as proposals
(``OUT_DIR/annotations/synthetic_proposals_{dets,gt}.json``), where
missing: the files ``configs/_base_/datasets/synthetic.py`` reads,
written by the same function that ``SyntheticDataset`` calls on first use.

Example::

    python data_tools/make_synthetic.py --out-dir data/synthetic \
        --num-images 2000 --grefcoco
    python data_tools/make_synthetic.py --out-dir data/synthetic --prepare
"""
import argparse
import time

from mmvg.datasets.importers.synthetic import generate, prepare_synthetic


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic grounding dataset in the raw '
        'refer format (instances.json + refs(unc).p; gRefCOCO-style '
        'grefs(unc).json with --grefcoco).')
    parser.add_argument(
        '--out-dir', default='data/synthetic', help='output root')
    parser.add_argument(
        '--num-images', type=int, default=2000, help='number of images')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--grefcoco',
        action='store_true',
        help='also write the gRefCOCO-style variant with multi-target and '
        'no-target expressions')
    parser.add_argument(
        '--prepare',
        action='store_true',
        help='also import the refer files into canonical files and build '
        'the vocabulary (what SyntheticDataset does on first use); only '
        'missing files are written')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.time()
    if args.prepare:
        written = prepare_synthetic(args.out_dir, args.num_images, args.seed,
                                    args.grefcoco)
        state = 'prepared' if written else 'already complete'
        print(f'{args.out_dir}: {state} in {time.time() - start:.1f} s')
        return
    counts = generate(args.out_dir, args.num_images, args.seed, args.grefcoco)
    print(', '.join(f'{k}: {v}' for k, v in counts.items()) +
          f' -> {args.out_dir} in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
