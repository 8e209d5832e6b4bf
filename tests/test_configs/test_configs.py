# Copyright (c) mmvg contributors. All rights reserved.
"""Every config under configs/ parses, every leaf config builds, and the
configs follow mmdet's naming and inheritance."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmvg.registry import MODELS
from mmvg.utils import register_all_modules

CONFIG_ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs')
ALL_CONFIGS = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True))
LEAF_CONFIGS = [c for c in ALL_CONFIGS if '_base_' not in c]
# mmdet 3.x names; strategy variants add a suffix after the dataset.
NAME = re.compile(r'(?P<model>[a-z0-9]+(-[a-z0-9]+)*)'
                  r'_(?P<backbone>[a-z0-9]+(-[a-z0-9]+)*)'
                  r'_(?P<text>[a-z0-9]+(-[a-z0-9]+)*)'
                  r'(_(?P<variant>[a-z0-9]+(-[a-z0-9]+)*))?'
                  r'_(?P<gpus>\d+)xb(?P<per_gpu>\d+)-(?P<schedule>\d+[ei])'
                  r'_(?P<dataset>[a-z0-9]+(-[a-z0-9]+)*)'
                  r'(_(?P<strategy>(deepspeed|fsdp|horovod)(-[a-z0-9]+)*))?')
# The ``CONFIG=...`` of the README's demo command.
CONFIG_VARIABLE = 'vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic'
MODEL_TYPES = dict(
    vltvg='VLTVG',
    lavt='LAVT',
    simrec='SimREC',
    mcn='MCN',
    vlbert='VLBERT',
    alvg='ALVG',
    simvg='SimVG',
    **{'lavt-one': 'LAVTOne'})


def _name(path):
    return osp.relpath(path, CONFIG_ROOT)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_name)
def test_config_parses(path):
    Config.fromfile(path)


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=_name)
def test_leaf_config_builds(path, tmp_path):
    """Build the model, the datasets' configs and the evaluators.

    Datasets whose files are absent (real benchmarks are not on CI
    machines) must say which path is missing.
    """
    register_all_modules()
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmvg'))
    assert cfg.default_scope == 'mmvg'
    try:
        MODELS.build(cfg.model)
    except FileNotFoundError as error:
        # Word-vocabulary models (SimREC, MCN) read the vocabulary of
        # their data; test_simrec_configs.py builds them without it.
        assert 'data' in str(error)
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        try:
            Runner.build_dataloader(loader)
        except FileNotFoundError as error:
            assert 'data' in str(error)
        if split != 'train':
            Runner.build_evaluator(None, cfg.get(f'{split}_evaluator'))


def test_only_the_from_scratch_vltvg_quick_start_adds_training_aids():
    """The paper trains the verification scores from the box loss alone,
    from DETR weights; the ``verify`` (BoxMapLoss) and ``category``
    (CellCategoryHead) auxiliary heads are from-scratch aids of the
    synthetic quick start."""
    vltvg = [c for c in LEAF_CONFIGS if osp.basename(c).startswith('vltvg_')]
    assert len(vltvg) > 10
    for path in vltvg:
        cfg = Config.fromfile(path)
        aux_heads = cfg.model.get('aux_heads')
        if 'synthetic' in path:
            assert aux_heads.verify.type == 'BoxMapHead', path
            assert aux_heads.verify.loss_map.type == 'BoxMapLoss', path
            assert aux_heads.category.type == 'CellCategoryHead', path
            # The head needs the category labels in training.
            load = cfg.train_dataloader.dataset.pipeline[1]
            assert load == dict(type='LoadVGAnnotations', with_category=True)
        else:
            assert not aux_heads, path


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=_name)
def test_leaf_name_follows_mmdet(path):
    """``{model}_{backbone}_{text}[_{variant}]_{N}xb{M}-{schedule}_
    {dataset}[_{strategy}].py``, words inside a part joined by ``-``."""
    name = osp.basename(path)[:-3]
    match = NAME.fullmatch(name)
    assert match, name
    cfg = Config.fromfile(path)
    assert cfg.model.type == MODEL_TYPES[match.group('model')], name
    schedule = match.group('schedule')
    if schedule.endswith('e'):
        assert cfg.train_cfg.max_epochs == int(schedule[:-1]), name
    else:
        assert cfg.train_cfg.max_iters == int(schedule[:-1]), name
    per_gpu = int(match.group('per_gpu'))
    assert cfg.train_dataloader.batch_size == per_gpu, name
    # The total batch (the paper's), which --auto-scale-lr starts from.
    total = int(match.group('gpus')) * per_gpu
    assert cfg.auto_scale_lr.base_batch_size == total, name
    if match.group('strategy') == 'horovod':
        # horovodrun -np N: a launch with another number is refused.
        assert cfg.strategy.num_processes == int(match.group('gpus')), name


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_name)
def test_text_is_tokenized_by_the_model(path):
    """Pipelines carry no ``Tokenize``: the model's data preprocessor
    holds the tokenizer and its length limit; images are read by
    ``LoadVGImage`` (failures name the record) through ``backend_args`` as
    in mmdet's dataset bases."""
    cfg = Config.fromfile(path)
    assert 'bert_base' not in cfg and 'tokenizer' not in cfg
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        pipeline = loader.dataset.pipeline
        assert 'Tokenize' not in [t.type for t in pipeline]
        assert pipeline[0].type == 'LoadVGImage'
        assert 'backend_args' in pipeline[0]
    if 'model' in cfg:
        tokenizer = cfg.model.data_preprocessor.tokenizer
        # VL-BERT never cuts an expression: 64 word pieces hold every
        # RefCOCO-family one.
        assert tokenizer.max_length in (15, 20, 40, 64)
        # VL-BERT embeds the words in its visual-linguistic BERT.
        assert 'max_length' not in cfg.model.get('text_encoder', {})
        assert 'max_token_length' not in cfg.model.data_preprocessor


def test_every_base_is_used():
    """Dataset, model and schedule bases are inherited by some leaf."""
    used = set()
    for path in ALL_CONFIGS:
        with open(path) as f:
            text = f.read()
        used.update(
            osp.normpath(osp.join(osp.dirname(path), base))
            for base in re.findall(r"'([./\w-]+\.py)'", text))
    bases = glob.glob(osp.join(CONFIG_ROOT, '_base_', '*', '*.py'))
    unused = sorted(_name(b) for b in bases if osp.normpath(b) not in used)
    assert not unused


def _check_metadata(model: dict, cfg: Config) -> None:
    """A metafile's schedule and batch are the config's."""
    meta = model.get('Metadata', {})
    name = model['Name']
    if 'Epochs' in meta:
        assert meta['Epochs'] == cfg.train_cfg.max_epochs, name
    if 'Iterations' in meta:
        assert meta['Iterations'] == cfg.train_cfg.max_iters, name
    if 'Batch Size' in meta:
        match = NAME.fullmatch(name)
        total = int(match.group('gpus')) * int(match.group('per_gpu'))
        assert meta['Batch Size'] == total, name


def test_model_index_names_the_configs():
    """model-index.yml -> metafiles -> configs and READMEs that exist;
    a model's name is its config's."""
    import yaml
    repo = osp.dirname(osp.abspath(CONFIG_ROOT))
    with open(osp.join(repo, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    listed = set()
    for metafile in index['Import']:
        with open(osp.join(repo, metafile)) as f:
            meta = yaml.safe_load(f)
        for collection in meta['Collections']:
            assert osp.isfile(osp.join(repo, collection['README']))
        for model in meta['Models']:
            config = osp.join(repo, model['Config'])
            assert osp.isfile(config), model['Config']
            assert model['Name'] == osp.basename(config)[:-3]
            listed.add(osp.normpath(config))
            _check_metadata(model, Config.fromfile(config))
    papers = {
        osp.normpath(osp.abspath(c))
        for c in LEAF_CONFIGS if 'synthetic' not in c
        and not NAME.fullmatch(osp.basename(c)[:-3]).group('strategy')
    }
    # Every paper config with published figures is in the index; the
    # cross-entropy lavt_one configs have none.
    missing = {c for c in papers - listed if 'lavt-one_' not in c}
    assert not missing


def test_docs_name_existing_configs():
    """Every ``configs/...py`` path in the READMEs and docs exists."""
    repo = osp.dirname(osp.abspath(CONFIG_ROOT))
    docs = [osp.join(repo, 'README.md')] + glob.glob(
        osp.join(repo, 'configs', '*', 'README.md')) + glob.glob(
            osp.join(repo, 'docs', 'en', '*.md'))
    for doc in docs:
        with open(doc) as f:
            text = f.read().replace('$CONFIG', CONFIG_VARIABLE)
        for path in re.findall(r'(?<![\w/])configs/[\w./+-]+\.py', text):
            assert osp.isfile(osp.join(repo, path)), f'{doc}: {path}'
        for link in re.findall(r'\]\(([\w.+-]+\.py)\)', text):
            path = osp.join(osp.dirname(doc), link)
            assert osp.isfile(path), f'{doc}: {link}'
