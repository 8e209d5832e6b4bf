# Copyright (c) mmvg contributors. All rights reserved.
"""tools/analysis_tools/benchmark_train.py on a tiny config."""
import json
import re

from mmvg.datasets.tokenizers import build_word_vocab
from mmvg.testing import get_config_path, run_tool


def test_region_ranking_config_gets_proposals(tmp_path):
    """The tiny VL-BERT, which needs proposals in its samples, is timed:
    one table row with train and test times and the peak memory."""
    vocab = tmp_path / 'vocab.json'
    vocab.write_text(json.dumps(build_word_vocab(['the red circle'])))
    result = run_tool([
        'tools/analysis_tools/benchmark_train.py',
        get_config_path(
            'vlbert/vlbert_r18-tiny_bert-tiny_1xb32-1500i_synthetic.py'),
        '--batch-size', '2', '--iters', '1', '--warmup', '0', '--threads', '1',
        '--proposals', '3', '--cfg-options',
        f'model.data_preprocessor.tokenizer.vocab_file={vocab}'
    ])
    rows = [line for line in result.stdout.splitlines() if 'plain' in line]
    assert len(rows) == 1
    assert re.fullmatch(
        r'\| installed \| plain \| \d+ \(\d+\) \| \d+ \(\d+\) \| \d+ \|',
        rows[0]), rows[0]
