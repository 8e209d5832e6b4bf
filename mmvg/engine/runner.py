# Copyright (c) mmvg contributors. All rights reserved.
from typing import Callable, Optional, Union

from mmengine.dist import is_distributed
from mmengine.runner import Runner as _Runner
from torch import nn

from mmvg.registry import RUNNERS
from .crash_safety import find_latest_complete_checkpoint
from .distributed import init_dist


@RUNNERS.register_module()
class VGRunner(_Runner):
    """mmengine's ``Runner`` whose distributed start-up works without CUDA.

    It has its own name because its strict ``load_from`` changes what
    mmdet configs rely on (fine-tuning from a checkpoint with another head
    only warns under mmengine's ``Runner``); see docs/en/compat.md.

    mmengine 0.10.7 calls ``torch.cuda.set_device`` for every launcher; the
    process group is started here first, through
    :func:`mmvg.engine.distributed.init_dist`, and mmengine's
    ``setup_env`` then finds it initialized and does the rest unchanged.
    """

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed():
            init_dist(self.launcher, **env_cfg.get('dist_cfg', {}))
        super().setup_env(env_cfg)

    def load_or_resume(self) -> None:
        """Resume from the newest complete checkpoint with ``resume=True``.

        mmengine resumes from whatever ``last_checkpoint`` names, which a
        kill during checkpoint writing leaves pointing at a partial file;
        see :func:`mmvg.engine.crash_safety.find_latest_complete_checkpoint`.
        """
        if self._resume is True and self._load_from is None:
            self._load_from = find_latest_complete_checkpoint(self.work_dir)
            if self._load_from is None:
                self._resume = False
        super().load_or_resume()

    def wrap_model(self, model_wrapper_cfg: Optional[dict],
                   model: nn.Module) -> nn.Module:
        """Wrap the model for distributed training.

        mmengine builds its default DDP wrapper directly with
        ``device_ids=[LOCAL_RANK]``, which torch rejects for a CPU module.
        The default is built through the registry instead, where mmvg's
        ``MMDistributedDataParallel`` drops the device index without CUDA.

        Args:
            model_wrapper_cfg (dict, optional): The wrapper config.
            model (nn.Module): The model to wrap.

        Returns:
            nn.Module: The wrapped model.
        """
        if model_wrapper_cfg is None and self.distributed:
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False))
        return super().wrap_model(model_wrapper_cfg, model)

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """Load a checkpoint into the model, strictly by default.

        mmengine only warns when ``load_from`` does not fit the model, so a
        checkpoint of another model would be evaluated half-loaded. Here a
        mismatch raises, listing the missing and unexpected keys; load
        partial weights (a pretrained backbone) through ``init_cfg``.

        Args:
            filename (str): The checkpoint path.
            map_location (str | Callable): As in :func:`torch.load`.
            strict (bool): Whether the keys must match exactly.
                Defaults to True.
            revise_keys (list): ``(pattern, replacement)`` pairs applied
                to the checkpoint's keys.

        Returns:
            dict: The loaded checkpoint.
        """
        return super().load_checkpoint(
            filename,
            map_location=map_location,
            strict=strict,
            revise_keys=revise_keys)
