# Copyright (c) mmvg contributors. All rights reserved.
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from mmvg.engine import load_checkpoint_file


def _runner_like_checkpoint(path):
    """What mmengine's Runner writes: state_dict, meta, message hub."""
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(0.1))
    hub.update_info('epoch', 3)
    torch.save(
        dict(
            meta=dict(seed=np.int64(7), epoch=3, iter=12),
            state_dict=dict(weight=torch.ones(2)),
            message_hub=hub.state_dict()), path)


def test_plain_torch_load_rejects_mmengine_checkpoints(tmp_path):
    # the breakage mmvg fixes: torch >= 2.6 defaults to weights_only=True
    path = tmp_path / 'epoch_3.pth'
    _runner_like_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_loads_mmengine_checkpoint_with_allow_list(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_3.pth'
    _runner_like_checkpoint(path)
    # as in a fresh process that resumes: no buffer created yet, so the
    # class has not registered its statistics methods
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods', {})
    checkpoint = load_checkpoint_file(str(path))
    buffer = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == 0.5
    assert checkpoint['meta']['seed'] == 7
    # mmengine's own entry point (used by resume and load_from) goes
    # through the same loader once mmvg is imported
    assert _load_checkpoint(str(path))['meta']['iter'] == 12


class _Exploit:

    def __reduce__(self):
        # getattr(HistoryBuffer, '__init__') is a step towards globals
        return getattr, (HistoryBuffer, '__init__')


def test_restricted_getattr_refuses_other_attributes(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(x=_Exploit()), path)
    with pytest.raises(pickle.UnpicklingError, match='evil.pth'):
        load_checkpoint_file(str(path))


class _Shell:

    def __reduce__(self):
        import os
        return os.system, ('true', )


def test_refuses_arbitrary_globals(tmp_path):
    path = tmp_path / 'shell.pth'
    torch.save(dict(x=_Shell()), path)
    with pytest.raises(pickle.UnpicklingError, match='shell.pth'):
        load_checkpoint_file(str(path))


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        load_checkpoint_file(str(tmp_path / 'nothing.pth'))
