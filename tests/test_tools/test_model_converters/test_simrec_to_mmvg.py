# Copyright (c) mmvg contributors. All rights reserved.
"""The whole-model SimREC/MCN converter.

``tests/data/simrec/{simrec,mcn}_model_keys.json`` list every tensor
(name -> shape) of the official ``SimREC`` and ``MCN`` state dicts
(luogen1996/SimREC at e8136cc, built as in its configs, with a 50-word
vocabulary): what an official checkpoint's ``state_dict`` holds. The
full-size models are built on the meta device; the command line is run on
the tiny configs, whose state dicts are renamed to the official prefixes.
"""
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from mmvg.apis import init_grounder
from mmvg.registry import MODELS
from mmvg.testing import build_on_meta, get_config_path, import_tool
from mmvg.utils import register_all_modules

register_all_modules()

FIXTURES = osp.join(osp.dirname(__file__), '..', '..', 'data', 'simrec')
V = 50
CONFIGS = dict(
    simrec=('simrec/simrec_cspdarknet_gru-sa_4xb8-25e_refcoco.py',
            '_base_/models/simrec_cspdarknet-tiny.py'),
    mcn=('mcn/mcn_darknet53_gru-sa_4xb8-39e_refcoco.py',
         '_base_/models/mcn_darknet53-tiny.py'))
# mmvg's top-level modules -> the official ones (the facts).
OFFICIAL_PREFIXES = dict(
    simrec={
        'backbone.': 'visual_encoder.',
        'text_encoder.': 'lang_encoder.',
        'fusions.': 'fusion_manner.',
        'neck.': 'multi_scale_manner.',
        'attention.': 'attention_manner.',
        'head.': 'head.',
    },
    mcn={
        'backbone.': 'visual_encoder.',
        'text_encoder.': 'lang_encoder.',
        'fusion.': 'fusion_manner.',
        'neck.': 'multi_scale_manner.',
        'det_attention.': 'det_garan.',
        'seg_attention.': 'seg_garan.',
        'head.': 'head.',
    })


@pytest.fixture(scope='module')
def converter():
    return import_tool('model_converters/simrec_to_mmvg.py')


def official_zeros(model):
    """A state dict of zeros with the official names and shapes."""
    with open(osp.join(FIXTURES, f'{model}_model_keys.json')) as f:
        layout = json.load(f)
    state_dict = {}
    for name, shape in layout.items():
        counter = name.endswith('num_batches_tracked')
        state_dict[name] = torch.zeros(
            shape, dtype=torch.long if counter else torch.float32)
    return state_dict


def full_model(model):
    """The paper config's model with V words, on the meta device; no
    vocabulary, GloVe or backbone file is read."""
    cfg = Config.fromfile(get_config_path(CONFIGS[model][0])).model
    cfg.text_encoder.update(vocab_file=None, glove_file=None, vocab_size=V)
    cfg.data_preprocessor.tokenizer = None
    return build_on_meta(cfg)


def words(num):
    """A vocabulary of ``num`` words."""
    names = ['PAD', 'UNK', 'CLS'] + [f'word{i}' for i in range(num - 3)]
    return {name: i for i, name in enumerate(names)}


@pytest.mark.parametrize('model', ['simrec', 'mcn'])
def test_every_official_key_loads_strictly(converter, model):
    official = official_zeros(model)
    assert converter.detect_model(official) == model
    converted = converter.convert(official, model)
    assert len(converted) == len(official)
    mmvg_model = full_model(model)
    mmvg_model.load_state_dict(converted, strict=True)
    # a DDP-wrapped model's keys convert alike
    wrapped = {f'module.{k}': v for k, v in official.items()}
    wrapped = converter.convert(wrapped, model)
    assert list(wrapped) == list(converted)
    mmvg_model.load_state_dict(wrapped, strict=True)


@pytest.mark.parametrize('model', ['simrec', 'mcn'])
def test_unknown_key_is_refused_by_name(converter, model):
    official = official_zeros(model)
    official['lang_decoder.proj.weight'] = torch.zeros(2, 2)
    with pytest.raises(KeyError, match='lang_decoder.proj.weight'):
        converter.convert(official, model)
    # the other model's modules are unknown too
    other = dict(
        simrec='det_garan.w_qs.weight', mcn='attention_manner.w_qs.weight')
    official = official_zeros(model)
    official[other[model]] = torch.zeros(2, 2)
    with pytest.raises(KeyError, match=other[model]):
        converter.convert(official, model)


def tiny_official_checkpoint(model, tmp_path):
    """The tiny config's model with a 50-word vocabulary, its config, and
    an official-layout checkpoint of its weights (official prefixes;
    epoch, optimizer, scheduler and lr beside the state dict, as the
    official ``save_checkpoint`` writes)."""
    vocab_file = tmp_path / 'vocab.json'
    vocab_file.write_text(json.dumps(words(V)))
    cfg = Config.fromfile(get_config_path(CONFIGS[model][1]))
    cfg.model.data_preprocessor.tokenizer.vocab_file = str(vocab_file)
    cfg.model.text_encoder.vocab_file = str(vocab_file)
    # The official models have no auxiliary heads.
    cfg.model.aux_heads = None
    torch.manual_seed(0)
    mmvg_model = MODELS.build(cfg.model)
    prefixes = OFFICIAL_PREFIXES[model]
    state_dict = {}
    for key, value in mmvg_model.state_dict().items():
        prefix = next(p for p in prefixes if key.startswith(p))
        state_dict[prefixes[prefix] + key[len(prefix):]] = value
    optimizer = torch.optim.Adam(mmvg_model.parameters(), lr=1e-4)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.)
    src = tmp_path / f'{model}_official.pth'
    torch.save(
        dict(
            epoch=3,
            state_dict=state_dict,
            optimizer=optimizer.state_dict(),
            scheduler=scheduler.state_dict(),
            lr=1e-4), src)
    return cfg, mmvg_model, src


def run_main(converter, monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', ['simrec_to_mmvg.py', *map(str, args)])
    converter.main()


@pytest.mark.parametrize('model', ['simrec', 'mcn'])
def test_command_line_writes_what_init_grounder_loads(converter, model,
                                                      tmp_path, monkeypatch):
    cfg, mmvg_model, src = tiny_official_checkpoint(model, tmp_path)
    dst = tmp_path / 'converted.pth'
    # no --model: MCN is told from its det_garan keys
    run_main(converter, monkeypatch, src, dst, '--vocab',
             tmp_path / 'vocab.json')
    loaded = init_grounder(cfg, str(dst))  # strict loading
    assert type(loaded).__name__ == type(mmvg_model).__name__
    expected = mmvg_model.state_dict()
    actual = loaded.state_dict()
    assert list(actual) == list(expected)
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key


def test_vocabulary_of_another_size_is_refused(converter, tmp_path,
                                               monkeypatch):
    _, _, src = tiny_official_checkpoint('simrec', tmp_path)
    vocab = tmp_path / 'vocab49.json'
    vocab.write_text(json.dumps(words(V - 1)))
    dst = tmp_path / 'converted.pth'
    with pytest.raises(ValueError, match='49 words.* 50 rows'):
        run_main(converter, monkeypatch, src, dst, '--vocab', vocab)
    assert not dst.exists()
