# Copyright (c) mmvg contributors. All rights reserved.
import json

import pytest
import torch

from mmvg.datasets import HFTokenizer, WordVocabTokenizer, build_word_vocab

WORDS = [
    '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'red', 'cup', 'left',
    'right', 'of'
]


def bert_dir(tmp_path) -> str:
    """A local BERT tokenizer over a tiny vocabulary."""
    (tmp_path / 'vocab.txt').write_text('\n'.join(WORDS) + '\n')
    (tmp_path / 'tokenizer_config.json').write_text(
        json.dumps(dict(tokenizer_class='BertTokenizer', do_lower_case=True)))
    return str(tmp_path)


def _ids(*words):
    return [WORDS.index(w) for w in words]


def test_hf_truncation_keeps_sep(tmp_path):
    tok = HFTokenizer(name_or_path=bert_dir(tmp_path), max_length=6)
    out = tok('The red cup left of')
    assert out['input_ids'].tolist() == _ids('[CLS]', 'the', 'red', 'cup',
                                             'left', '[SEP]')
    assert out['input_ids'].dtype == torch.long
    short = tok('red zebra')
    assert short['input_ids'].tolist() == [2, 6, 1, 3, 0, 0]
    assert short['attention_mask'].tolist() == [1, 1, 1, 1, 0, 0]


def test_hf_truncation_of_ids_drops_sep_as_lavt(tmp_path):
    tok = HFTokenizer(
        name_or_path=bert_dir(tmp_path),
        max_length=4,
        truncation='ids',
        pad_to_max_length=False)
    out = tok('the red cup left of')
    assert out['input_ids'].tolist() == _ids('[CLS]', 'the', 'red', 'cup')
    assert out['attention_mask'].tolist() == [1] * 4
    # a short expression keeps its [SEP] and is not padded
    assert tok('red')['input_ids'].tolist() == _ids('[CLS]', 'red', '[SEP]')


def test_hf_loads_lazily_and_names_a_missing_dir(tmp_path):
    tok = HFTokenizer(name_or_path=str(tmp_path / 'no_bert'))
    with pytest.raises(FileNotFoundError, match='no_bert'):
        tok('the cup')
    with pytest.raises(ValueError, match='truncation'):
        HFTokenizer(name_or_path='x', truncation='middle')


def test_word_vocab(tmp_path):
    vocab = build_word_vocab(['the red cup', 'the blue cup, left!', 'the'])
    assert vocab['PAD'] == 0 and vocab['UNK'] == 1 and vocab['the'] == 3
    path = tmp_path / 'vocab.json'
    tok = WordVocabTokenizer(vocab_file=str(path), max_length=4)
    # built before the file exists (the quick start writes it with the data)
    path.write_text(json.dumps(vocab))
    out = tok('The red zebra cup left')
    assert out['input_ids'].tolist() == [
        vocab['the'], vocab['red'], 1, vocab['cup']
    ]
    out = tok('cup')
    assert out['input_ids'].tolist() == [vocab['cup'], 0, 0, 0]
    assert out['attention_mask'].tolist() == [1, 0, 0, 0]
    with pytest.raises(FileNotFoundError, match='build_vocab'):
        WordVocabTokenizer(vocab_file=str(tmp_path / 'no'))('cup')
