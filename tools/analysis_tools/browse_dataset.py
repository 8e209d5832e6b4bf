# Copyright (c) mmvg contributors. All rights reserved.
"""Save images after the pipeline with the boxes, mask and text drawn.

Each picture is the pipeline's output (resized, padded, flipped when the
pipeline flips) drawn by the config's ``VGLocalVisualizer``: the expression
the model reads (a "[flipped]" mark after a flip) above the ground truth.

Example::

    python tools/analysis_tools/browse_dataset.py \
        configs/_base_/datasets/synthetic.py --output-dir work_dirs/browse
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from mmvg.registry import DATASETS, VISUALIZERS
from mmvg.utils import register_all_modules
from mmvg.visualization import VGLocalVisualizer


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


def build_visualizer(cfg: Config) -> VGLocalVisualizer:
    """The config's visualizer (a default one for a dataset-only config),
    without vis backends: the pictures go to files."""
    visualizer_cfg = dict(
        cfg.get('visualizer', dict(type='VGLocalVisualizer')),
        name='browse_dataset',
        vis_backends=None)
    visualizer = VISUALIZERS.build(visualizer_cfg)
    if not isinstance(visualizer, VGLocalVisualizer):
        raise TypeError('browse_dataset.py draws with VGLocalVisualizer, but '
                        f'the config builds {type(visualizer).__name__}')
    return visualizer


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    visualizer = build_visualizer(cfg)
    visualizer.dataset_meta = dataset.metainfo
    os.makedirs(args.output_dir, exist_ok=True)
    for idx in range(min(args.num, len(dataset))):
        packed = dataset[idx]
        sample = packed['data_samples']
        name = f'{idx:05d}_sent{sample.get("sent_id", idx)}.jpg'
        # The pipeline's output: a BGR (3, H, W) tensor and its ground
        # truth in the same (resized, padded, maybe flipped) frame.
        image = packed['inputs'].permute(1, 2, 0).numpy()[..., ::-1]
        visualizer.add_datasample(
            name,
            image,
            sample,
            draw_pred=False,
            out_file=osp.join(args.output_dir, name),
            frame='input')
    print(f'saved {min(args.num, len(dataset))} images to '
          f'{args.output_dir}')


if __name__ == '__main__':
    main()
