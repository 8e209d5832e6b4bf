# Copyright (c) mmvg contributors. All rights reserved.
import json
import warnings

import pytest
import torch

from mmvg.datasets import (HFTokenizer, WordVocabTokenizer, build_word_vocab,
                           dump_canonical)
from mmvg.datasets.tokenizers import split_words

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
    with pytest.warns(UserWarning, match='max_length=4'):
        out = tok('The red zebra cup left')
    assert out['input_ids'].tolist() == [
        vocab['the'], vocab['red'], 1, vocab['cup']
    ]
    out = tok('cup')
    assert out['input_ids'].tolist() == [vocab['cup'], 0, 0, 0]
    assert out['attention_mask'].tolist() == [1, 0, 0, 0]
    with pytest.raises(FileNotFoundError, match='build_vocab'):
        WordVocabTokenizer(vocab_file=str(tmp_path / 'no'))('cup')


# Tricky expressions and the words of the official SimREC cleaning
# (delete .,'!?"()*#: and ; after lower-casing, then '-' and '/' split).
OFFICIAL_WORDS = [
    ("the man's \"red\" (hat) #1: yes; no?",
     ['the', 'mans', 'red', 'hat', '1', 'yes', 'no']),
    ('A  man\twith\u00a0tabs and\nnewlines',
     ['a', 'man', 'with', 'tabs', 'and', 'newlines']),
    ('man*woman  .  ,,,', ['manwoman']),
    ('Ünïcödé CAFÉ café \u2019quote\u2019 & co 2nd',
     ['ünïcödé', 'café', 'café', '\u2019quote\u2019', '&', 'co', '2nd']),
    ('Zebra-striped mug/cup, LEFT!',
     ['zebra', 'striped', 'mug', 'cup', 'left']),
    ('--left-- // right_mug [x] {y} 50%',
     ['left', 'right_mug', '[x]', '{y}', '50%']),
]


@pytest.mark.parametrize('text,words', OFFICIAL_WORDS)
def test_split_words_is_the_official_cleaning(text, words):
    assert split_words(text) == words


def test_first_seen_order_is_the_official_vocabulary():
    texts = ['Zebra-striped mug/cup, LEFT!', 'the red mug', 'Red zebra, the']
    vocab = build_word_vocab(texts, order='first_seen')
    assert list(vocab.items()) == [('PAD', 0), ('UNK', 1), ('CLS', 2),
                                   ('zebra', 3), ('striped', 4), ('mug', 5),
                                   ('cup', 6), ('left', 7), ('the', 8),
                                   ('red', 9)]
    # the default order is unchanged: by frequency, ties alphabetically
    assert list(build_word_vocab(texts))[3:6] == ['mug', 'red', 'the']
    with pytest.raises(ValueError, match='first_seen'):
        build_word_vocab(texts, order='alphabetical')


def _canonical(path, split, texts):
    records = [
        dict(
            img_path=f'{i}.jpg',
            height=40,
            width=60,
            image_id=i,
            ref_id=i,
            sent_id=i,
            text=text,
            bboxes=[[1.0, 2.0, 30.0, 39.0]],
            mask=None,
            no_target=False) for i, text in enumerate(texts)
    ]
    dump_canonical(str(path), dict(dataset='refcoco', split=split), records)
    return str(path)


def test_build_vocab_first_seen_over_all_splits(tmp_path, data_tool, capsys):
    """Every split, in the order given (the official annotation file's),
    records in file order; no train-only warning in this mode."""
    files = [
        _canonical(tmp_path / 'train.json', 'train',
                   ['the left cup', 'a red-ish mug']),
        _canonical(tmp_path / 'val.json', 'val', ['the zebra', 'LEFT cup']),
        _canonical(tmp_path / 'testB.json', 'testB', ['blue/green thing']),
    ]
    out = str(tmp_path / 'vocab.json')
    data_tool('build_vocab').main(
        [*files, '--out', out, '--order', 'first_seen'])
    assert "not train" not in capsys.readouterr().out
    assert list(json.load(open(out))) == [
        'PAD', 'UNK', 'CLS', 'the', 'left', 'cup', 'a', 'red', 'ish', 'mug',
        'zebra', 'blue', 'green', 'thing'
    ]
    # the default stays frequency over training files, with its warning
    data_tool('build_vocab').main([files[1], '--out', out])
    assert "is split 'val', not train" in capsys.readouterr().out
    assert list(json.load(open(out)))[3:5] == ['cup', 'left']


def test_truncation_reported_once_per_tokenizer(tmp_path):
    path = tmp_path / 'vocab.json'
    path.write_text(json.dumps(build_word_vocab(['a b c d e f'])))
    tok = WordVocabTokenizer(vocab_file=str(path), max_length=3)
    with pytest.warns(UserWarning) as record:
        first = tok('a b c d e')
        tok('f e d c b a')
        tok('a b c')
    assert len(record) == 1
    assert 'max_length=3' in str(record[0].message)
    assert "'a b c d e'" in str(record[0].message)
    # the first max_length words are kept, as the official proc_ref does
    vocab = tok.vocab
    assert first['input_ids'].tolist() == [vocab['a'], vocab['b'], vocab['c']]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        tok('a b c d e f')  # not again
        WordVocabTokenizer(vocab_file=str(path), max_length=6)('a b c d e f')
