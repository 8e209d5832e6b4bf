# Copyright (c) mmvg contributors. All rights reserved.
"""Train a grounder: ``python tools/train.py CONFIG [options]``."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS, init_default_scope

from mmvg.engine.crash_safety import find_latest_complete_checkpoint
from mmvg.engine.distributed import finish_distributed_run
from mmvg.utils import register_all_modules, resolve_config_path, setup_amp


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a grounder')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the actual batch size (auto_scale_lr)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a path, from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs; '
        'e.g. train_dataloader.batch_size=4')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)

    # Configs renamed after mmvg 0.1.0 still load by their old names.
    args.config = resolve_config_path(args.config)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        setup_amp(cfg)

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or \
                'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs `auto_scale_lr = '
                               'dict(base_batch_size=...)` in the config.')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto':
        # The newest complete checkpoint: a kill during checkpoint writing
        # leaves a partial one that must not be picked.
        cfg.load_from = find_latest_complete_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    # mmvg's Runner (or FlexibleRunner with an mmvg strategy) starts the
    # process group without CUDA too.
    cfg.setdefault('runner_type', 'VGRunner')
    runner = RUNNERS.build(cfg)
    runner.train()
    finish_distributed_run()


if __name__ == '__main__':
    main()
