# Copyright (c) mmvg contributors. All rights reserved.
import importlib.util
import os.path as osp

import pytest

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'data_tools')


def load_tool(name: str):
    """Import ``data_tools/<name>.py`` (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f'data_tools_{name}', osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def data_tool():
    """``data_tool(name)`` imports ``data_tools/<name>.py``."""
    return load_tool


@pytest.fixture(scope='session')
def synthetic_raw(tmp_path_factory):
    """A small synthetic dataset in the raw refer format."""
    out = str(tmp_path_factory.mktemp('synthetic'))
    counts = load_tool('make_synthetic').generate(
        out, num_images=40, seed=1, grefcoco=True)
    return out, counts
