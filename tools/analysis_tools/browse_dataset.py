# Copyright (c) mmvg contributors. All rights reserved.
"""Save images after the pipeline with the boxes, mask and text drawn.

Example::

    python tools/analysis_tools/browse_dataset.py \
        configs/_base_/datasets/synthetic.py --output-dir work_dirs/browse
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from mmvg.registry import DATASETS
from mmvg.utils import register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--output-dir', required=True, help='where to save the images')
    parser.add_argument(
        '--split',
        default='train',
        choices=['train', 'val', 'test'],
        help='which dataloader\'s dataset and pipeline to browse')
    parser.add_argument(
        '--num', type=int, default=20, help='number of samples to save')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def draw_sample(inputs, data_sample) -> np.ndarray:
    """Draw the ground truth of a packed sample on its input image.

    Args:
        inputs (Tensor): uint8 (3, H, W) BGR image.
        data_sample (VGDataSample): Its data sample.

    Returns:
        np.ndarray: The BGR drawing, with a text band on top.
    """
    img = np.ascontiguousarray(inputs.permute(1, 2, 0).numpy()).copy()
    instances = data_sample.get('gt_instances')
    if instances is not None and 'masks' in instances and len(instances.masks):
        mask = instances.masks.masks[0].astype(bool)
        img[mask] = (0.5 * img[mask] + [0, 0, 127]).astype(np.uint8)
    if instances is not None:
        for x1, y1, x2, y2 in instances.bboxes.round().int().tolist():
            cv2.rectangle(img, (x1, y1), (x2, y2), (0, 255, 0), 2)
    text = data_sample.text
    if data_sample.no_target:
        text += '  [no target]'
    if data_sample.get('flip', False):
        text += '  [flipped]'
    band = np.full((24, img.shape[1], 3), 255, np.uint8)
    cv2.putText(band, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0),
                1, cv2.LINE_AA)
    return np.concatenate([band, img], axis=0)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    os.makedirs(args.output_dir, exist_ok=True)
    for idx in range(min(args.num, len(dataset))):
        packed = dataset[idx]
        sample = packed['data_samples']
        name = f'{idx:05d}_sent{sample.get("sent_id", idx)}.jpg'
        cv2.imwrite(
            osp.join(args.output_dir, name),
            draw_sample(packed['inputs'], sample))
    print(f'saved {min(args.num, len(dataset))} images to '
          f'{args.output_dir}')


if __name__ == '__main__':
    main()
