# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmvg.registry import HOOKS


@HOOKS.register_module()
class FreezeModulesHook(Hook):
    """Freeze sub-modules for the first epochs of training, then release
    them (VLTVG keeps its pretrained visual and text encoders fixed for 10
    epochs).

    Only parameters trainable when training starts are frozen and later
    released; those frozen for good (e.g. a backbone's stem) stay frozen.
    Under DDP, set ``find_unused_parameters=True`` in ``model_wrapper_cfg``.

    Args:
        modules (Sequence[str]): Attribute names of the model's
            sub-modules, e.g. ``['backbone', 'text_encoder']``.
        freeze_epochs (int): Epochs to keep them frozen.
    """

    def __init__(self, modules: Sequence[str], freeze_epochs: int) -> None:
        self.modules = list(modules)
        self.freeze_epochs = freeze_epochs
        self._frozen: Dict[str, List[str]] = {}

    def _model(self, runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        if runner.epoch >= self.freeze_epochs:
            return
        model = self._model(runner)
        for name in self.modules:
            params = [
                (key, param)
                for key, param in getattr(model, name).named_parameters()
                if param.requires_grad
            ]
            for _, param in params:
                param.requires_grad_(False)
            self._frozen[name] = [key for key, _ in params]
        runner.logger.info(f'Froze {self.modules} until epoch '
                           f'{self.freeze_epochs}')

    def after_train_epoch(self, runner) -> None:
        # ``runner.epoch`` counts from 0 and advances after this hook.
        if runner.epoch + 1 != self.freeze_epochs or not self._frozen:
            return
        model = self._model(runner)
        for name, keys in self._frozen.items():
            params = dict(getattr(model, name).named_parameters())
            for key in keys:
                params[key].requires_grad_(True)
        self._frozen = {}
        runner.logger.info(f'Released {self.modules}')
