# Copyright (c) mmvg contributors. All rights reserved.
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner.amp import autocast
from mmengine.runner.base_loop import BaseLoop
from mmengine.runner.loops import _parse_losses, _update_losses
from torch.utils.data import DataLoader

from mmvg.registry import LOOPS


def _split_name(dataloader: DataLoader, index: int) -> str:
    """The split a dataloader's dataset declares, else ``split<index>``."""
    dataset = dataloader.dataset
    name = getattr(dataset, 'split', None)
    if name is None:
        name = (getattr(dataset, 'metainfo', None) or {}).get('split')
    return str(name) if name else f'split{index}'


@LOOPS.register_module()
class MultiSplitTestLoop(BaseLoop):
    """Test on several splits in one run, metric names prefixed by split.

    ``test_dataloader`` is a list of dataloader configs (val, testA,
    testB, ...). Each split gets its own evaluator, built from the shared
    ``test_evaluator`` config (or from ``split_evaluators``), whose metrics
    are reported as ``<split>/<name>``, e.g. ``testA/rec/Acc@0.5``. The
    test hooks run once around all splits (``before_test`` ...
    ``after_test``); ``runner.test_dataloader`` is the split being run.

    Each evaluator's ``dataset_meta`` is its dataset's ``metainfo`` plus
    ``split`` (the split's name).

    Args:
        runner (Runner): The runner.
        dataloader (list): Dataloaders or their configs, one per split.
        evaluator (dict | list | Evaluator): The evaluator config shared by
            the splits; a config is built once per split.
        split_names (Sequence[str], optional): Names of the splits. By
            default, each dataset's ``split`` attribute (or its metainfo's
            ``split``), else ``split<i>``.
        split_evaluators (list, optional): One evaluator config per split,
            used instead of ``evaluator``.
        fp16 (bool): Whether to test under autocast. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[Sequence[Union[DataLoader, Dict]], Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 split_names: Optional[Sequence[str]] = None,
                 split_evaluators: Optional[Sequence] = None,
                 fp16: bool = False) -> None:
        loaders = ([dataloader] if isinstance(dataloader, (dict, DataLoader))
                   else list(dataloader))
        if not loaders:
            raise ValueError('MultiSplitTestLoop needs at least one '
                             'dataloader')
        super().__init__(runner, loaders[0])
        self.dataloaders = [self.dataloader] + [
            self._build_loader(runner, loader) for loader in loaders[1:]
        ]
        if split_names is None:
            split_names = [
                _split_name(loader, i)
                for i, loader in enumerate(self.dataloaders)
            ]
        self.split_names = [str(name) for name in split_names]
        if len(self.split_names) != len(self.dataloaders):
            raise ValueError(f'{len(self.split_names)} split names for '
                             f'{len(self.dataloaders)} dataloaders')
        if len(set(self.split_names)) != len(self.split_names):
            raise ValueError('split names must differ, got '
                             f'{self.split_names}; set `split_names`')
        if split_evaluators is None:
            split_evaluators = [evaluator] * len(self.dataloaders)
        elif len(split_evaluators) != len(self.dataloaders):
            raise ValueError(f'{len(split_evaluators)} split_evaluators for '
                             f'{len(self.dataloaders)} dataloaders')
        self.evaluators = [
            self._build_evaluator(runner, cfg) for cfg in split_evaluators
        ]
        for name, loader, split_evaluator in zip(self.split_names,
                                                 self.dataloaders,
                                                 self.evaluators):
            metainfo = getattr(loader.dataset, 'metainfo', None) or {}
            split_evaluator.dataset_meta = dict(metainfo, split=name)
        # ``runner.test_evaluator`` reads this: the split being run.
        self.evaluator = self.evaluators[0]
        runner.visualizer.dataset_meta = self.evaluator.dataset_meta
        self.fp16 = fp16
        self.test_loss: Dict = dict()

    @staticmethod
    def _build_loader(runner, loader: Union[DataLoader, Dict]) -> DataLoader:
        if not isinstance(loader, dict):
            return loader
        diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
        return runner.build_dataloader(
            loader, seed=runner.seed, diff_rank_seed=diff_rank_seed)

    @staticmethod
    def _build_evaluator(runner, cfg) -> Evaluator:
        if isinstance(cfg, Evaluator):
            return cfg
        # Each split needs its own metric instances: deep-copy the config.
        return runner.build_evaluator(copy.deepcopy(cfg))

    def run(self) -> dict:
        """Test every split in turn.

        Returns:
            dict: The metrics of all splits, named ``<split>/<name>``.
        """
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        metrics = {}
        for name, loader, evaluator in zip(self.split_names, self.dataloaders,
                                           self.evaluators):
            # Hooks read the current split through runner.test_dataloader
            # and runner.test_evaluator.
            self.dataloader, self.evaluator = loader, evaluator
            self.runner.visualizer.dataset_meta = evaluator.dataset_meta
            self.test_loss.clear()
            for idx, data_batch in enumerate(loader):
                self.run_iter(idx, data_batch, evaluator)
            split_metrics = evaluator.evaluate(len(loader.dataset))
            if self.test_loss:
                split_metrics.update(_parse_losses(self.test_loss, 'test'))
            metrics.update({
                f'{name}/{key}': value
                for key, value in split_metrics.items()
            })
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict,
                 evaluator: Evaluator) -> None:
        """Predict one batch and hand it to the split's evaluator.

        Args:
            idx (int): The batch index within the split.
            data_batch (dict): The batch.
            evaluator (Evaluator): The split's evaluator.
        """
        self.runner.call_hook(
            'before_test_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.test_step(data_batch)
        outputs, self.test_loss = _update_losses(outputs, self.test_loss)
        evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_test_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
