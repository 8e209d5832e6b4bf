# Copyright (c) mmvg contributors. All rights reserved.
"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS, init_default_scope

from mmvg.engine.distributed import finish_distributed_run
from mmvg.utils import register_all_modules, resolve_config_path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a grounder')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='dump the predictions to a pickle file (.pkl/.pickle), or one '
        'JSON line per expression (prediction, ground truth, IoU, correct) '
        'to a .jsonl file')
    parser.add_argument(
        '--show-dir',
        help='directory, under the work dir, where painted images are saved')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_visualization(cfg: Config, show_dir: str) -> None:
    """Turn the visualization hook on to save painted test images."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise RuntimeError('--show-dir needs a `visualization` hook in '
                           '`default_hooks` (see default_runtime.py).')
    hook['draw'] = True
    hook['test_out_dir'] = show_dir


def add_metric(evaluator, metric: dict) -> list:
    """The evaluator config (a metric or a list of them) plus a metric."""
    if not isinstance(evaluator, list):
        evaluator = [evaluator]
    return evaluator + [metric]


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

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)

    if args.out is not None:
        if args.out.endswith('.jsonl'):
            dump = dict(type='DumpGroundingResults', out_file_path=args.out)
        elif args.out.endswith(('.pkl', '.pickle')):
            dump = dict(type='DumpResults', out_file_path=args.out)
        else:
            raise ValueError('--out must end with .pkl, .pickle or .jsonl, '
                             f'got {args.out}')
        cfg.test_evaluator = add_metric(cfg.test_evaluator, dump)
        # MultiSplitTestLoop may carry one evaluator per split.
        split_evaluators = cfg.test_cfg.get('split_evaluators')
        if split_evaluators:
            cfg.test_cfg.split_evaluators = [
                add_metric(evaluator, dump) for evaluator in split_evaluators
            ]

    cfg.setdefault('runner_type', 'VGRunner')
    runner = RUNNERS.build(cfg)
    runner.test()
    finish_distributed_run()


if __name__ == '__main__':
    main()
