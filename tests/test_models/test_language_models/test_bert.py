# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch

from mmvg.models.language_models import BertTextEncoder

TINY_BERT = dict(
    vocab_size=100,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=24)


def _tokens(lengths, total):
    ids = torch.randint(1, 100, (len(lengths), total))
    mask = torch.zeros(len(lengths), total, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    return dict(input_ids=ids * mask, attention_mask=mask)


def test_contract_word_feats_and_mask():
    model = BertTextEncoder(config=TINY_BERT, num_output_layers=2).eval()
    tokens = _tokens([7, 4], 7)
    out = model(tokens)
    assert out['word_feats'].shape == (2, 7, 32)
    # one polarity for every text encoder: True on real tokens
    assert out['word_mask'].dtype == torch.bool
    assert out['word_mask'].tolist() == [[True] * 7, [True] * 4 + [False] * 3]
    hidden = model.bert(
        input_ids=tokens['input_ids'],
        attention_mask=tokens['attention_mask'],
        output_hidden_states=True).hidden_states
    assert torch.allclose(
        out['word_feats'], (hidden[-1] + hidden[-2]) / 2, atol=1e-6)
    # the unused pooler is frozen
    assert not any(p.requires_grad for p in model.bert.pooler.parameters())


def test_tokens_beyond_the_positions_name_the_one_cut():
    model = BertTextEncoder(config=TINY_BERT).eval()
    # the tokenizer is the one place text is cut; the encoder never cuts
    with pytest.raises(ValueError, match='max_length.*data_preprocessor'):
        model(_tokens([40], 40))
    assert model(_tokens([24], 24))['word_feats'].shape == (1, 24, 32)


def test_bert_missing_dir(tmp_path):
    missing = str(tmp_path / 'bert-base-uncased')
    with pytest.raises(FileNotFoundError, match='huggingface-cli download'):
        BertTextEncoder(pretrained=missing)
    # building from a config reads no file; loading the weights fails
    model = BertTextEncoder(pretrained=missing, config=TINY_BERT)
    with pytest.raises(FileNotFoundError, match='bert-base-uncased'):
        model.init_weights()


def test_bert_loads_local_dir(tmp_path):
    source = BertTextEncoder(config=TINY_BERT)
    source.bert.save_pretrained(str(tmp_path))
    model = BertTextEncoder(
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path)))
    model.init_weights()
    for key, value in source.bert.state_dict().items():
        assert torch.equal(model.bert.state_dict()[key], value), key


def test_bert_rejects_bad_layers():
    with pytest.raises(ValueError, match='num_output_layers'):
        BertTextEncoder(config=TINY_BERT, num_output_layers=4)


def test_sdpa_attention_matches_eager_attention():
    """The default fused attention gives BERT's outputs within 1e-5 of the
    explicit softmax on every real token of a padded batch, and the same
    gradients up to float32 rounding (the sums run in another order)."""
    torch.manual_seed(0)
    sdpa = BertTextEncoder(config=TINY_BERT, num_output_layers=2).eval()
    eager = BertTextEncoder(
        config=TINY_BERT, num_output_layers=2,
        attn_implementation='eager').eval()
    eager.load_state_dict(sdpa.state_dict())
    assert sdpa.bert.config._attn_implementation == 'sdpa'
    assert eager.bert.config._attn_implementation == 'eager'
    tokens = _tokens([9, 3, 6], 9)
    real = tokens['attention_mask'].bool()
    outs = []
    for model in (sdpa, eager):
        # Padded positions carry no meaning (the kernels differ there).
        feats = model(tokens)['word_feats'][real]
        feats.pow(2).sum().backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        outs.append((feats.detach(), grads))
    torch.testing.assert_close(outs[0][0], outs[1][0], atol=1e-5, rtol=0)
    torch.testing.assert_close(outs[0][1], outs[1][1], atol=1e-5, rtol=1e-3)
