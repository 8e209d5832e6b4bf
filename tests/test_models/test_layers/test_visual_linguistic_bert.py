# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
from transformers import BertConfig, BertModel

from mmvg.apis import init_grounder
from mmvg.models.layers import VisualLinguisticBert
from mmvg.registry import MODELS
from mmvg.testing import get_config_path, get_grounder_cfg
from mmvg.utils import register_all_modules

register_all_modules()
TINY = dict(
    vocab_size=32,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=24)


def save_bert(path, hidden_size=16):
    config = dict(TINY, hidden_size=hidden_size, type_vocab_size=2)
    torch.manual_seed(1)
    bert = BertModel(BertConfig(**config), add_pooling_layer=False)
    bert.save_pretrained(str(path))
    return bert.state_dict()


def test_starts_from_a_bert(tmp_path):
    """BERT's embeddings and layers fill the model; its two token types
    fill rows 0 and 1, the region row keeps its initialisation; the
    visual LayerNorms start at zero."""
    bert = save_bert(tmp_path)
    torch.manual_seed(0)
    model = VisualLinguisticBert(**TINY, pretrained=str(tmp_path))
    region_row = model.token_type_embeddings.weight[2].clone()
    assert model.visual_ln_text.weight.abs().sum() == 0
    assert model.visual_ln_object.weight.abs().sum() == 0
    model.init_weights()
    state = model.state_dict()
    for key in ('encoder.layer.1.output.dense.weight',
                'encoder.layer.0.attention.self.query.bias'):
        torch.testing.assert_close(state[key], bert[key])
    torch.testing.assert_close(state['word_embeddings.weight'],
                               bert['embeddings.word_embeddings.weight'])
    torch.testing.assert_close(state['embedding_LayerNorm.weight'],
                               bert['embeddings.LayerNorm.weight'])
    types = state['token_type_embeddings.weight']
    torch.testing.assert_close(types[:2],
                               bert['embeddings.token_type_embeddings.weight'])
    torch.testing.assert_close(types[2], region_row)


def test_refuses_a_bert_of_another_size(tmp_path):
    """A BERT-large directory in a base config names the directory and
    both widths; a missing one says where to get it."""
    save_bert(tmp_path / 'wide', hidden_size=24)
    model = VisualLinguisticBert(**TINY, pretrained=str(tmp_path / 'wide'))
    with pytest.raises(ValueError, match='wide.*24 channels.*16'):
        model.init_weights()
    model = VisualLinguisticBert(**TINY, pretrained=str(tmp_path / 'none'))
    with pytest.raises(FileNotFoundError, match='none.*huggingface-cli'):
        model.init_weights()
    with pytest.raises(ValueError, match='type_vocab_size'):
        VisualLinguisticBert(**TINY, type_vocab_size=2)


def test_refuses_a_checkpoint_of_a_wider_model(tmp_path):
    """A large-model checkpoint loaded into a base config fails and names
    the tensors whose shapes differ."""
    config = get_config_path(
        'vlbert/vlbert_r18-tiny_bert-tiny_1xb32-1500i_synthetic.py')
    cfg = get_grounder_cfg(
        'vlbert/vlbert_r18-tiny_bert-tiny_1xb32-1500i_synthetic.py')
    cfg.vlbert.update(hidden_size=96, intermediate_size=192)
    cfg.head.in_channels = 96
    wide = str(tmp_path / 'wide.pth')
    torch.save(dict(state_dict=MODELS.build(cfg).state_dict()), wide)
    with pytest.raises(
            RuntimeError, match='size mismatch.*vlbert.word_embeddings'):
        init_grounder(config, wide)
