# Copyright (c) mmvg contributors. All rights reserved.
"""``benchmark_inference.py --entry`` times several configs in one run and
prints one row per (config, input size, batch size)."""
import importlib.util

import pytest

from mmvg.testing import get_config_path, get_tool_path, run_tool

TOOL = 'analysis_tools/benchmark_inference.py'
# The full-size SimREC config names a vocabulary and GloVe file that do
# not exist here: the tool must build it without them.
SIMREC = get_config_path('simrec/simrec_cspdarknet_gru-sa_4xb8-25e_refcoco.py')
TINY_VLTVG = get_config_path('_base_/models/vltvg_r18-tiny.py')


def _tool():
    spec = importlib.util.spec_from_file_location('benchmark_inference',
                                                  get_tool_path(TOOL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_row_per_entry_in_entry_order():
    entries = [(SIMREC, 64, 1), (SIMREC, 64, 2), (TINY_VLTVG, 96, 1)]
    args = [TOOL, '--rounds', '2', '--warmup', '1']
    for config, size, batch in entries:
        args += ['--entry', config, str(size), str(batch)]
    stdout = run_tool(args).stdout
    rows = [
        line.strip('|').split('|') for line in stdout.splitlines()
        if line.startswith('| ') and not line.startswith('| config')
    ]
    assert len(rows) == len(entries), stdout
    for (config, size, batch), row in zip(entries, rows):
        name, shape, batch_cell, rate, ms = (cell.strip() for cell in row)
        assert config.endswith(f'/{name}.py')
        assert shape == f'{size}x{size}'
        assert int(batch_cell) == batch
        median, low, high = (
            float(value)
            for value in rate.replace('(', '').replace(')', '').replace(
                '/', ' ').split())
        assert 0 < low <= median <= high
        # images/s and ms per batch describe the same median step
        assert median == pytest.approx(batch * 1000 / float(ms), rel=0.01)


@pytest.mark.parametrize('argv, message', [
    (['--entry', SIMREC, 'big', '1'], 'must be positive integers'),
    (['--entry', SIMREC, '416', '0'], 'must be positive integers'),
    ([], 'give either a model'),
    (['vltvg', '--entry', SIMREC, '416', '1'], 'give either a model'),
])
def test_bad_arguments_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        _tool().parse_args(argv)
    assert message in capsys.readouterr().err
