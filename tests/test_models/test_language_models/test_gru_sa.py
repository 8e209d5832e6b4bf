# Copyright (c) mmvg contributors. All rights reserved.
import json
import warnings

import numpy as np
import pytest
import torch

from mmvg.datasets import WordVocabTokenizer
from mmvg.models.language_models import GRUSATextEncoder
from mmvg.models.language_models.gru_sa import (MCANLayerNorm,
                                                check_vocab_size,
                                                load_word_vectors)

# Parameters of the official LSTM_SA (luogen1996/SimREC e8136cc) with its
# SimREC/MCN settings, counted with sum(p.numel()) over
# LSTM_SA(depth, 512, 8, 2048, 1, 0.1, 300, None, V, use_glove=False):
# 5,096,929 (depth 1) and 11,401,697 (depth 3) at V = 1000.
OFFICIAL_PARAMS_WITHOUT_EMBEDDING = {1: 4_796_929, 3: 11_101_697}
TINY = dict(word_dims=3, embed_dims=8, num_heads=2, ffn_dims=16)
VOCAB = {'PAD': 0, 'UNK': 1, 'CLS': 2, 'red': 3, 'cup': 4, 'left': 5}


def _tokens(lengths, total, vocab_size=50):
    ids = torch.randint(3, vocab_size, (len(lengths), total))
    mask = torch.zeros(len(lengths), total, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    return dict(input_ids=ids * mask, attention_mask=mask)


@pytest.mark.parametrize('depth', [1, 3])
def test_parameter_count_equals_official(depth):
    vocab_size = 57
    model = GRUSATextEncoder(vocab_size=vocab_size, depth=depth)
    total = sum(p.numel() for p in model.parameters())
    assert total == OFFICIAL_PARAMS_WITHOUT_EMBEDDING[depth] + 300 * vocab_size
    # the embedding is frozen by default, the rest trains
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == OFFICIAL_PARAMS_WITHOUT_EMBEDDING[depth]


def test_official_key_names_and_shapes():
    """The official sub-keys, so checkpoints convert by prefix only."""
    model = GRUSATextEncoder(vocab_size=7, depth=1)
    linear = {
        'mhatt.linear_v': (512, 512),
        'mhatt.linear_k': (512, 512),
        'mhatt.linear_q': (512, 512),
        'mhatt.linear_merge': (512, 512),
        'ffn.mlp.fc.linear': (2048, 512),
        'ffn.mlp.linear': (512, 2048),
    }
    expected = {'embedding.weight': (7, 300)}
    for suffix in ('ih', 'hh'):
        expected[f'lstm.weight_{suffix}_l0'] = (1536,
                                                300 if suffix == 'ih' else 512)
        expected[f'lstm.bias_{suffix}_l0'] = (1536, )
    for name, shape in linear.items():
        expected[f'sa_list.0.{name}.weight'] = shape
        expected[f'sa_list.0.{name}.bias'] = shape[:1]
    for norm in ('norm1', 'norm2'):
        expected[f'sa_list.0.{norm}.weight'] = (512, )
        expected[f'sa_list.0.{norm}.bias'] = (512, )
    for name, shape in {
            'att_flat.mlp.fc.linear': (256, 512),
            'att_flat.mlp.linear': (1, 256),
            'att_flat.linear_merge': (512, 512)
    }.items():
        expected[f'{name}.weight'] = shape
        expected[f'{name}.bias'] = shape[:1]
    found = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert found == expected


def test_contract_shapes_and_mask_polarity(tmp_path):
    model = GRUSATextEncoder(vocab_size=50, depth=2, **TINY).eval()
    out = model(_tokens([6, 3, 1], 6))
    assert out['word_feats'].shape == (3, 6, 8)
    assert out['sent_feat'].shape == (3, 8)
    # one polarity for every text encoder: True on real tokens
    assert out['word_mask'].dtype == torch.bool
    assert out['word_mask'].tolist() == [[True] * 6, [True] * 3 + [False] * 3,
                                         [True] + [False] * 5]
    # The official mask is ``input_ids == 0``: the tokenizer's
    # attention_mask is its complement (PAD is 0, unknown words are UNK).
    path = tmp_path / 'vocab.json'
    path.write_text(json.dumps(VOCAB))
    tok = WordVocabTokenizer(str(path), max_length=6)
    for text in ['Red cup', 'the PAD pad', '']:
        tokens = tok(text)
        is_pad = tokens['input_ids'] == VOCAB['PAD']
        assert torch.equal(tokens['attention_mask'].bool(), ~is_pad)


def test_padding_does_not_change_real_tokens():
    """Padded positions (whatever their ids) and the padded length change
    neither the sentence vector nor the real tokens' features."""
    torch.manual_seed(0)
    model = GRUSATextEncoder(vocab_size=50, depth=2, **TINY).eval()
    short = _tokens([4], 4)
    long = dict(
        input_ids=torch.cat([short['input_ids'],
                             torch.randint(3, 50, (1, 6))], 1),
        attention_mask=torch.cat(
            [short['attention_mask'],
             torch.zeros(1, 6, dtype=torch.long)], 1))
    a, b = model(short), model(long)
    assert torch.allclose(a['sent_feat'], b['sent_feat'], atol=1e-6)
    assert torch.allclose(a['word_feats'], b['word_feats'][:, :4], atol=1e-6)
    # the padded words are not ignored when they are real
    long['attention_mask'][:] = 1
    assert not torch.allclose(a['sent_feat'], model(long)['sent_feat'])


def test_mcan_layer_norm_unbiased_std_eps_outside():
    x = torch.tensor([[1., 2., 4.]])
    norm = MCANLayerNorm(3, eps=0.5)
    # squared deviations sum to 42 / 9; unbiased: divide by n - 1
    std = torch.tensor(42 / 9 / 2).sqrt()
    expected = (x - 7 / 3) / (std + 0.5)
    assert torch.allclose(norm(x), expected)


def test_trains_all_but_the_frozen_embedding():
    model = GRUSATextEncoder(vocab_size=50, **TINY)
    model(_tokens([5, 2], 5))['sent_feat'].sum().backward()
    assert model.embedding.weight.grad is None
    assert model.lstm.weight_ih_l0.grad.abs().sum() > 0
    model = GRUSATextEncoder(vocab_size=50, freeze_embedding=False, **TINY)
    model(_tokens([5, 2], 5))['sent_feat'].sum().backward()
    assert model.embedding.weight.grad.abs().sum() > 0


def _glove(tmp_path) -> str:
    lines = [
        'UNK 1 1 1',
        # a glove.840B word with a space, starting like a vocabulary word
        'red carpet 9 9 9',
        'red 0.5 -1 2',
        'cup 3 2 1',
        'cup 7 7 7',  # a repeat: the first vector is kept
        'zebra 4 4 4',
    ]
    path = tmp_path / 'glove.txt'
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return str(path)


def test_glove_text_and_the_missing_word_rule(tmp_path):
    path = _glove(tmp_path)
    with pytest.warns(UserWarning) as record:
        vectors = load_word_vectors(path, VOCAB, 3)
    expected = np.zeros((6, 3), np.float32)
    expected[VOCAB['UNK']] = 1
    expected[VOCAB['red']] = [0.5, -1, 2]
    expected[VOCAB['cup']] = [3, 2, 1]
    np.testing.assert_array_equal(vectors, expected)
    # PAD, CLS and left are missing: zeros, counted in one warning
    assert len(record) == 1
    message = str(record[0].message)
    assert '3 of 6 vocabulary words' in message and path in message
    assert "['PAD', 'CLS', 'left']" in message


def test_glove_loaded_in_init_weights(tmp_path):
    vocab_file = tmp_path / 'vocab.json'
    vocab_file.write_text(json.dumps(VOCAB))
    npy = tmp_path / 'glove.npy'
    matrix = np.arange(18, dtype=np.float64).reshape(6, 3)
    np.save(npy, matrix)
    # vocab_size from the vocabulary file
    model = GRUSATextEncoder(
        vocab_file=str(vocab_file), glove_file=str(npy), **TINY)
    assert model.embedding.num_embeddings == 6
    model.init_weights()
    assert torch.equal(model.embedding.weight,
                       torch.from_numpy(matrix).float())
    model = GRUSATextEncoder(
        vocab_size=6,
        vocab_file=str(vocab_file),
        glove_file=_glove(tmp_path),
        **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model.init_weights()
    assert model.embedding.weight[VOCAB['cup']].tolist() == [3, 2, 1]
    assert model.embedding.weight[VOCAB['left']].tolist() == [0, 0, 0]


def test_missing_vector_file_names_path_and_source(tmp_path):
    vocab_file = tmp_path / 'vocab.json'
    vocab_file.write_text(json.dumps(VOCAB))
    missing = str(tmp_path / 'glove.840B.300d.txt')
    model = GRUSATextEncoder(
        vocab_file=str(vocab_file), glove_file=missing, **TINY)
    with pytest.raises(FileNotFoundError) as error:
        model.init_weights()
    assert missing in str(error.value)
    assert 'https://nlp.stanford.edu/projects/glove/' in str(error.value)
    with pytest.raises(ValueError, match='vocab_file'):
        GRUSATextEncoder(vocab_size=6, glove_file=missing)
    with pytest.raises(FileNotFoundError, match='build_vocab'):
        GRUSATextEncoder(vocab_file=str(tmp_path / 'no_vocab.json'))


def test_vocab_size_mismatch_refused(tmp_path):
    with pytest.raises(ValueError, match='6 words .* 7 rows'):
        check_vocab_size(VOCAB, 7, 'vocab.json against model.pth')
    check_vocab_size(VOCAB, 6, 'fits')
    vocab_file = tmp_path / 'vocab.json'
    vocab_file.write_text(json.dumps(VOCAB))
    model = GRUSATextEncoder(
        vocab_size=9,
        vocab_file=str(vocab_file),
        glove_file=_glove(tmp_path),
        **TINY)
    with pytest.raises(ValueError, match='6 words .* 9 rows'):
        model.init_weights()
    npy = tmp_path / 'five.npy'
    np.save(npy, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=f'{npy}: the vocabulary has 6'):
        load_word_vectors(str(npy), VOCAB, 3)
    np.save(npy, np.zeros((6, 4)))
    with pytest.raises(ValueError, match='expected'):
        load_word_vectors(str(npy), VOCAB, 3)
