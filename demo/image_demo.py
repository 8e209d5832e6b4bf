# Copyright (c) mmvg contributors. All rights reserved.
"""Ground one expression in one image and save a picture of the result.

Example::

    CONFIG=vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic
    python demo/image_demo.py demo/shapes.jpg 'the red circle' \
        configs/vltvg/$CONFIG.py work_dirs/$CONFIG/iter_2500.pth \
        --out-file out.jpg
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np

from mmvg.apis import inference_grounder, init_grounder
from mmvg.utils import resolve_config_path


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('img', help='image file')
    parser.add_argument('text', help='referring expression')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-file', default='out.jpg', help='where to save the picture')
    parser.add_argument(
        '--device', default='cpu', help='device, e.g. cpu or cuda:0')
    return parser.parse_args(argv)


def draw_prediction(img: np.ndarray, text: str,
                    bboxes: np.ndarray) -> np.ndarray:
    """Draw the boxes and the expression on a copy of a BGR image.

    Args:
        img (np.ndarray): (H, W, 3) BGR image.
        text (str): The expression, written above the first box.
        bboxes (np.ndarray): (K, 4) xyxy boxes in image pixels.

    Returns:
        np.ndarray: The annotated image.
    """
    canvas = img.copy()
    # Small images get thin lines and small letters.
    thickness = max(1, round(max(img.shape[:2]) / 300))
    scale = max(0.35, max(img.shape[:2]) / 900)
    colour = (0, 0, 255)
    for x1, y1, x2, y2 in np.round(bboxes).astype(int):
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, thickness)
    x, y = (bboxes[0, :2].astype(int) if len(bboxes) else (0, 0))
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale,
                                   thickness)
    # Above the box when it fits, else inside it.
    y = y - base - 2 if y - h - base - 2 >= 0 else y + h + 2
    x = int(np.clip(x, 0, max(0, canvas.shape[1] - w)))
    cv2.rectangle(canvas, (x, y - h - 1), (x + w, y + base), colour, -1)
    cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), thickness, cv2.LINE_AA)
    return canvas


def main(argv: Optional[List[str]] = None) -> np.ndarray:
    """Run the demo; return the predicted (K, 4) boxes."""
    args = parse_args(argv)
    if not osp.isfile(args.img):
        raise FileNotFoundError(f'Image file {args.img} does not exist.')
    # Configs renamed after mmvg 0.1.0 still load by their old names.
    config = resolve_config_path(args.config)
    model = init_grounder(config, args.checkpoint, device=args.device)
    result = inference_grounder(model, args.img, args.text)
    bboxes = result.pred_instances.bboxes.cpu().numpy()
    img = cv2.imread(args.img)
    out_dir = osp.dirname(args.out_file)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    cv2.imwrite(args.out_file, draw_prediction(img, args.text, bboxes))
    print(f'{args.text!r}: box {np.round(bboxes[0], 1).tolist()} -> '
          f'{args.out_file}')
    return bboxes


if __name__ == '__main__':
    main()
