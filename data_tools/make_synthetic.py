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
    OUT_DIR/grefcoco/instances.json  (with --grefcoco)
    OUT_DIR/grefcoco/grefs(unc).json multi-target and no-target refs

Squares are stored as two overlapping rectangles, so a mask must be the
union of an object's polygons (a sum would be wrong where they overlap).
The output depends only on the arguments (deterministic by ``--seed``).

Example::

    python data_tools/make_synthetic.py --out-dir data/synthetic \
        --num-images 2000 --grefcoco
"""
import argparse
import time

# The generator lives in the package, so that SyntheticDataset can write
# the data on first use; this script is its command-line front end.
from mmvg.datasets.synthetic import \
    generate  # noqa: F401 (also imported by tests)


def parse_args() -> argparse.Namespace:
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
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.time()
    counts = generate(args.out_dir, args.num_images, args.seed, args.grefcoco)
    print(', '.join(f'{k}: {v}' for k, v in counts.items()) +
          f' -> {args.out_dir} in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
