# Copyright (c) mmvg contributors. All rights reserved.
import importlib.util
import os.path as osp
import warnings

import pytest

# Reuse the synthetic-data fixtures of tests/test_data_tools.
_spec = importlib.util.spec_from_file_location(
    'data_tools_fixtures',
    osp.join(osp.dirname(__file__), '..', 'test_data_tools', 'conftest.py'))
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
data_tool = _fixtures.data_tool
synthetic_raw = _fixtures.synthetic_raw


@pytest.fixture(scope='session')
def analysis_tool():
    """``analysis_tool(name)`` imports ``tools/analysis_tools/<name>.py``."""

    def load(name):
        spec = importlib.util.spec_from_file_location(
            f'analysis_tools_{name}',
            osp.join(
                osp.dirname(__file__), '..', '..', 'tools', 'analysis_tools',
                f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope='session')
def synthetic_canonical(synthetic_raw, tmp_path_factory):
    """The synthetic refer files imported into canonical files.

    Returns ``(data_root, ann_dir)``; images are under
    ``data_root/train2014`` and files are ``refcoco_unc_<split>.json``.
    """
    from mmvg.datasets.importers.refer import run_refer_import
    root = synthetic_raw[0]
    out = str(tmp_path_factory.mktemp('canonical'))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # counts differ from RefCOCO's
        run_refer_import(
            refer_dir=osp.join(root, 'refcoco'),
            dataset='refcoco',
            split_by='unc',
            out_dir=out,
            data_root=root,
            image_dir='train2014')
    return root, out
