# Copyright (c) mmvg contributors. All rights reserved.
import glob
import os.path as osp
import pickle

import pytest
import torch

from mmvg.testing import run_tool

TOY_CONFIG = osp.abspath(
    osp.join(osp.dirname(__file__), '..', 'data', 'toy', 'toy_grounder.py'))


def _train(work_dir, *extra, nproc=1, config=TOY_CONFIG, check=True):
    return run_tool(
        ['tools/train.py', config, '--work-dir',
         str(work_dir), *extra],
        nproc=nproc,
        check=check)


def test_train_then_resume_continues(tmp_path):
    _train(tmp_path)
    assert osp.isfile(tmp_path / 'epoch_2.pth')
    first = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)

    result = _train(tmp_path, '--resume', '--cfg-options',
                    'train_cfg.max_epochs=3')
    log = ' '.join((result.stdout + result.stderr).split())
    assert 'resumed epoch: 2' in log
    assert 'Epoch(train) [1]' not in log
    assert 'Epoch(train) [3]' in log
    resumed = torch.load(tmp_path / 'epoch_3.pth', weights_only=False)
    assert resumed['meta']['epoch'] == 3
    assert resumed['meta']['iter'] == first['meta']['iter'] * 3 // 2


def test_resume_from_given_checkpoint(tmp_path):
    _train(tmp_path, '--cfg-options', 'train_cfg.max_epochs=1')
    result = _train(tmp_path / 'second', '--resume',
                    str(tmp_path / 'epoch_1.pth'))
    assert 'resumed epoch: 1' in result.stdout + result.stderr
    assert osp.isfile(tmp_path / 'second' / 'epoch_2.pth')


def test_ddp_train_and_val_with_torchrun(tmp_path):
    result = _train(tmp_path, nproc=2)
    log = ' '.join((result.stdout + result.stderr).split())
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    # 16 samples, 4 per process and step: 2 steps per epoch on 2 ranks
    assert 'Epoch(train) [1][2/2]' in log
    assert 'box_error' in log
    assert osp.isfile(tmp_path / 'epoch_2.pth')


def test_test_tool_dumps_predictions(tmp_path):
    _train(tmp_path, '--cfg-options', 'train_cfg.max_epochs=1')
    out = tmp_path / 'preds.pkl'
    result = run_tool([
        'tools/test.py', TOY_CONFIG,
        str(tmp_path / 'epoch_1.pth'), '--work-dir',
        str(tmp_path), '--out',
        str(out)
    ])
    assert 'box_error' in result.stdout + result.stderr
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 6
    assert predictions[0]['pred_instances']['bboxes'].shape == (1, 4)


def test_checkpoint_of_another_model_lists_keys(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=dict(backbone_weight=torch.zeros(2))), path)
    result = run_tool(
        ['tools/test.py', TOY_CONFIG,
         str(path), '--work-dir',
         str(tmp_path)],
        check=False)
    assert result.returncode != 0
    assert 'unexpected key in source state_dict: backbone_weight' in \
        result.stderr
    assert 'missing keys in source state_dict: box.weight' in result.stderr


@pytest.mark.parametrize('option', ['--amp'])
def test_amp_is_refused_with_deepspeed(tmp_path, option):
    config = osp.join(
        osp.dirname(TOY_CONFIG), 'toy_grounder_deepspeed_zero2.py')
    result = _train(tmp_path, option, config=config, check=False)
    assert result.returncode != 0
    assert 'conflicts with the DeepSpeed strategy' in result.stderr
    assert not glob.glob(str(tmp_path / '*.pth'))
