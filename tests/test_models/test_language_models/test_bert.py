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


def test_bert_averages_last_layers():
    model = BertTextEncoder(config=TINY_BERT, num_output_layers=2).eval()
    ids = torch.randint(1, 100, (2, 7))
    mask = torch.ones(2, 7, dtype=torch.long)
    feats = model(ids, mask)
    assert feats.shape == (2, 7, 32)
    hidden = model.bert(
        input_ids=ids, attention_mask=mask,
        output_hidden_states=True).hidden_states
    assert torch.allclose(feats, (hidden[-1] + hidden[-2]) / 2, atol=1e-6)
    # the unused pooler is frozen
    assert not any(p.requires_grad for p in model.bert.pooler.parameters())


def test_bert_truncates_long_input():
    model = BertTextEncoder(config=TINY_BERT).eval()
    ids = torch.randint(1, 100, (1, 40))  # longer than 24 positions
    feats = model(ids, torch.ones_like(ids))
    assert feats.shape == (1, 24, 32)


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
