# Copyright (c) mmvg contributors. All rights reserved.
import importlib.util
import os
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


@pytest.fixture
def out_dir(tmp_path):
    """An output folder holding a file of an earlier import, under a name
    the importers write."""
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'refcoco_unc_val.json').write_text('{"earlier": "import"}')
    return str(out)


@pytest.fixture(scope='session')
def snapshot():
    """``snapshot(folder)``: the names and bytes of the files in it, to
    check that a failed import changed nothing."""

    def files(folder):
        return {
            name: open(osp.join(folder, name), 'rb').read()
            for name in sorted(os.listdir(folder))
        }

    return files
