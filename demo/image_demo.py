# Copyright (c) mmvg contributors. All rights reserved.
"""Ground expressions in images and save pictures and predictions.

Example::

    python demo/image_demo.py demo/shapes.jpg \\
        vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic \\
        --weights work_dirs/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic/iter_2500.pth \\
        --texts 'the red circle' 'the blue square'

writes ``outputs/vis/shapes.jpg`` (every expression in its own colour)
and ``outputs/preds/shapes.json``. Every expression is grounded in every
image given (a file, several, or a folder). A region-ranking model
(VL-BERT) also needs ``--proposals boxes.json``, the candidate boxes of
each image by file name: ``{"shapes.jpg": [[x1, y1, x2, y2], ...]}``.
"""  # noqa: E501
import argparse
import json
import os
import os.path as osp
from typing import List, Optional

from mmvg.apis import VGInferencer


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('inputs', nargs='+', help='image files or a folder')
    parser.add_argument(
        'model', help='config file, or model name of model-index.yml')
    parser.add_argument('--weights', help='checkpoint file')
    parser.add_argument(
        '--texts',
        nargs='+',
        required=True,
        help='referring expressions, each grounded in every image')
    parser.add_argument(
        '--out-dir', default='outputs', help='where vis/ and preds/ go')
    parser.add_argument(
        '--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per pass')
    parser.add_argument(
        '--pred-score-thr',
        type=float,
        default=0.3,
        help='least score of a drawn box (multi-target models)')
    parser.add_argument(
        '--heatmaps',
        action='store_true',
        help="draw the model's heat maps (VLTVG: verification scores)")
    parser.add_argument(
        '--show', action='store_true', help='show the pictures')
    parser.add_argument(
        '--no-save-vis', action='store_true', help='do not save pictures')
    parser.add_argument(
        '--no-save-pred',
        action='store_true',
        help='do not save the predictions as JSON')
    parser.add_argument(
        '--print-result', action='store_true', help='print predictions')
    parser.add_argument(
        '--proposals',
        help='JSON of candidate boxes (xyxy, original pixels) by image '
        'file name, for region-ranking models (VL-BERT)')
    return parser.parse_args(argv)


def read_proposals(path: str, images: List[str]) -> List[list]:
    """The boxes of each image from ``{file name: boxes}``."""
    with open(path) as f:
        table = json.load(f)
    for image in images:
        if osp.basename(image) not in table:
            raise KeyError(f'{path} has no proposals for {image} (its keys '
                           'are image file names)')
    return [table[osp.basename(image)] for image in images]


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the demo; return the inferencer's result."""
    args = parse_args(argv)
    images = []
    for path in args.inputs:
        if osp.isdir(path):
            images += [osp.join(path, f) for f in sorted(os.listdir(path))]
        else:
            images.append(path)
    inferencer = VGInferencer(args.model, args.weights, device=args.device)
    result = inferencer(
        images, [args.texts] * len(images),
        batch_size=args.batch_size,
        pred_score_thr=args.pred_score_thr,
        heatmaps=args.heatmaps,
        show=args.show,
        no_save_vis=args.no_save_vis,
        no_save_pred=args.no_save_pred,
        print_result=args.print_result,
        out_dir=args.out_dir,
        proposals=read_proposals(args.proposals, images)
        if args.proposals else None)
    for entry in result['predictions']:
        name = osp.splitext(osp.basename(entry['img_path']))[0]
        for expr in entry['expressions']:
            box = [round(v, 1) for v in expr['bboxes'][0]]
            print(f'{entry["img_path"]}: {expr["text"]!r} -> box {box}, '
                  f'score {expr["scores"][0]:.2f}')
        if not args.no_save_vis:
            print(f'picture: {osp.join(args.out_dir, "vis", name + ".jpg")}')
    return result


if __name__ == '__main__':
    main()
