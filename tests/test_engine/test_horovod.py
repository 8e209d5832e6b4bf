# Copyright (c) mmvg contributors. All rights reserved.
"""HorovodStrategy: 2 processes under ``horovodrun --gloo`` train the tiny
VLTVG to the same weights as 2-process DDP (both under FlexibleRunner, so
the seeded weights and data order agree), resume, and evaluate as one
process does.

horovod is built by tools/misc/build_horovod.sh, which .ci/run runs; with
``MMVG_REQUIRE_HOROVOD=1`` (set by .ci/run) a missing horovod fails these
tests instead of skipping them."""
import os
import os.path as osp
import re
import sys

import pytest
import torch

from mmvg.testing import run_tool

SCALE_OUT_DIR = osp.abspath(
    osp.join(osp.dirname(__file__), '..', 'data', 'scale_out'))
HOROVOD = osp.join(SCALE_OUT_DIR, 'vltvg_tiny_horovod.py')
DDP = osp.join(SCALE_OUT_DIR, 'vltvg_tiny_ddp.py')

try:
    import horovod.torch  # noqa: F401
    HOROVOD_MISSING = None
except ImportError as e:
    HOROVOD_MISSING = str(e)
    if os.environ.get('MMVG_REQUIRE_HOROVOD') == '1':
        raise
needs_horovod = pytest.mark.skipif(
    HOROVOD_MISSING is not None,
    reason=f'horovod is not installed ({HOROVOD_MISSING}); run '
    'tools/misc/build_horovod.sh')


def _log(result):
    return ' '.join((result.stdout + result.stderr).split())


def _train(config, work_dir, *extra, launcher='pytorch', nproc=2, check=True):
    return run_tool(
        ['tools/train.py', config, '--work-dir',
         str(work_dir), *extra],
        nproc=nproc,
        launcher=launcher,
        check=check)


def _weights(path):
    """The state dict, without the ``module.`` prefix of DDPStrategy's."""
    state_dict = torch.load(path, weights_only=False)['state_dict']
    return {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}


@needs_horovod
def test_horovod_trains_resumes_and_matches_ddp(tmp_path):
    log = _log(_train(HOROVOD, tmp_path / 'hvd', launcher='horovod'))
    assert 'Distributed launcher: horovod' in log
    assert 'Iter(train) [2/2]' in log
    _train(DDP, tmp_path / 'ddp')
    hvd_weights, ddp = (
        _weights(tmp_path / name / 'iter_2.pth') for name in ('hvd', 'ddp'))
    assert hvd_weights.keys() == ddp.keys()
    for key, value in ddp.items():
        torch.testing.assert_close(
            hvd_weights[key], value, atol=1e-5, rtol=1e-5, msg=key)
    # The weights moved: the comparison is not between two initialisations.
    first = _weights(tmp_path / 'hvd' / 'iter_1.pth')
    assert not torch.equal(first['head.reg_layers.2.weight'],
                           hvd_weights['head.reg_layers.2.weight'])

    resume = ('--resume', '--cfg-options', 'train_cfg.max_iters=3')
    log = _log(_train(HOROVOD, tmp_path / 'hvd', *resume, launcher='horovod'))
    assert 'Iter(train) [3/3]' in log and 'Iter(train) [1/3]' not in log
    _train(DDP, tmp_path / 'ddp', *resume)
    hvd_weights, ddp = (
        _weights(tmp_path / name / 'iter_3.pth') for name in ('hvd', 'ddp'))
    for key, value in ddp.items():
        torch.testing.assert_close(
            hvd_weights[key], value, atol=1e-5, rtol=1e-5, msg=key)

    # The metric over 2 Horovod ranks equals 1 process's.
    def accuracy(nproc):
        log = _log(
            run_tool([
                'tools/test.py', HOROVOD,
                str(tmp_path / 'hvd' / 'iter_3.pth'), '--work-dir',
                str(tmp_path / f'test{nproc}'), '--cfg-options',
                f'strategy.num_processes={nproc}'
            ],
                     nproc=nproc,
                     launcher='horovod'))
        return float(re.search(r'rec/Acc@0\.5: ([0-9.]+)', log).group(1))

    assert accuracy(2) == accuracy(1)


@needs_horovod
def test_launch_without_horovodrun_is_refused(tmp_path):
    result = _train(HOROVOD, tmp_path, nproc=1, check=False)
    assert result.returncode != 0
    assert ('expects 2 Horovod processes but this one runs with 1: start '
            'it with `horovodrun -np 2') in _log(result)


@needs_horovod
def test_amp_with_fp16_compression_is_refused(tmp_path):
    result = _train(
        HOROVOD,
        tmp_path,
        '--amp',
        '--cfg-options',
        'strategy.fp16_compression=True',
        nproc=1,
        check=False)
    assert result.returncode != 0
    assert ('--amp conflicts with HorovodStrategy(fp16_compression=True)'
            in _log(result))


def test_missing_horovod_names_the_build_script(monkeypatch):
    from mmvg.engine.strategies.horovod import import_horovod
    monkeypatch.setitem(sys.modules, 'horovod.torch', None)
    with pytest.raises(ImportError, match='tools/misc/build_horovod.sh'):
        import_horovod()
