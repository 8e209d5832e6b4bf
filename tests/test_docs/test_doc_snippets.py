# Copyright (c) mmvg contributors. All rights reserved.
"""Every config snippet of the docs runs as written.

A ```python block of ``docs/en/*.md`` or ``README.md`` is a config
snippet when it assigns one of ``CONFIG_KEYS`` at top level; every config
snippet must parse. A complete one (it reads no name that it does not
define and holds no ``...`` placeholder) is loaded with mmengine's
``Config``, its ``_base_`` files taken from the first folder of
``configs/`` that holds them all, and its dataset and evaluator parts are
built on a small synthetic dataset: each dataset reads its first sample
through its pipeline, and each evaluator scores a perfect prediction of
the first sample of its dataloader (of the synthetic test set when the
snippet has none). A fragment (a dataset reading the page's
``test_pipeline``, say) is skipped, with the names it lacks as reason.
"""
import ast
import builtins
import glob
import os
import os.path as osp
import re
import warnings

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from mmvg.registry import DATASETS, EVALUATOR

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = osp.join(REPO, 'configs')
PAGES = sorted(glob.glob(osp.join(REPO, 'docs', 'en',
                                  '*.md'))) + [osp.join(REPO, 'README.md')]
CONFIG_KEYS = ('_base_', 'dataset', 'train_dataloader', 'val_dataloader',
               'test_dataloader', 'val_evaluator', 'test_evaluator')
LOADER_OF_EVALUATOR = dict(
    val_evaluator='val_dataloader', test_evaluator='test_dataloader')
SYNTHETIC_SPLITS = ('train', 'val', 'testA', 'testB')
_CONFIG_ASSIGNMENT = re.compile(
    r'^(%s)\s*=' % '|'.join(map(re.escape, CONFIG_KEYS)), re.M)
_PYTHON_BLOCK = re.compile(r'^```python\n(.*?)^```', re.M | re.S)


def config_snippets():
    """``pytest.param(source, id='page:line')`` of every config snippet."""
    params = []
    for page in PAGES:
        with open(page, encoding='utf-8') as f:
            text = f.read()
        for match in _PYTHON_BLOCK.finditer(text):
            source = match.group(1)
            if _CONFIG_ASSIGNMENT.search(source):
                line = text.count('\n', 0, match.start()) + 1
                name = osp.relpath(page, REPO)
                params.append(pytest.param(source, id=f'{name}:{line}'))
    return params


def missing_names(tree: ast.Module) -> list:
    """The names a snippet reads but defines nowhere, and ``...``."""
    stored, loaded = {'_base_'}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(
                node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split('.')[0])
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
    missing = sorted(loaded - stored - set(dir(builtins)))
    if any(
            isinstance(node, ast.Constant) and node.value is Ellipsis
            for node in ast.walk(tree)):
        missing.append('...')
    return missing


def with_absolute_bases(source: str, tree: ast.Module) -> str:
    """The snippet with its ``_base_`` files as absolute paths.

    A snippet does not say where it lives; its bases are looked up in
    ``configs/`` and each folder below it, and the first folder holding
    them all is taken.
    """
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets)):
            continue
        bases = ast.literal_eval(node.value)
        bases = [bases] if isinstance(bases, str) else list(bases)
        folders = sorted(root for root, _, _ in os.walk(CONFIGS))
        folder = next((d for d in folders if all(
            osp.isfile(osp.join(d, b)) for b in bases)), None)
        assert folder is not None, (
            f'no folder of configs/ holds all the _base_ files {bases}')
        lines = source.splitlines()
        lines[node.lineno - 1:node.end_lineno] = [
            f'_base_ = {[osp.join(folder, b) for b in bases]!r}'
        ]
        return '\n'.join(lines) + '\n'
    return source


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory):
    """A 12-image synthetic dataset imported as RefCOCO (unc):
    ``annotations/refcoco_unc_<split>.json``, images in ``train2014/``."""
    from mmvg.datasets.importers.refer import run_refer_import
    from mmvg.datasets.importers.synthetic import generate
    from mmvg.utils import register_all_modules
    register_all_modules()
    root = str(tmp_path_factory.mktemp('synthetic'))
    generate(root, num_images=12, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # counts differ from RefCOCO's
        run_refer_import(
            refer_dir=osp.join(root, 'refcoco'),
            dataset='refcoco',
            split_by='unc',
            out_dir=osp.join(root, 'annotations'),
            data_root=root,
            image_dir='train2014')
    return root


def provide_ann_file(root: str, ann_file: str, dataset_type) -> None:
    """Write the synthetic split that ``ann_file`` names under ``root``.

    A name the import did not write (``refcocog_umd_val.jsonl``) gets the
    records of the synthetic split its stem ends with (else val), with
    the dataset and split that the name and the class declare.
    """
    from mmvg.datasets.canonical import dump_canonical, load_canonical
    target = osp.join(root, ann_file)
    if osp.isfile(target):
        return
    stem = osp.splitext(osp.basename(ann_file))[0]
    split = stem.rsplit('_', 1)[-1]
    source = osp.join(
        root, 'annotations',
        f'refcoco_unc_{split if split in SYNTHETIC_SPLITS else "val"}.json')
    metainfo, records = load_canonical(source)
    for key in ('num_records', 'records_sha256'):
        metainfo.pop(key, None)
    dataset_class = DATASETS.get(dataset_type) if isinstance(
        dataset_type, str) else dataset_type
    metainfo['dataset'] = getattr(dataset_class, 'METAINFO',
                                  {}).get('dataset', metainfo['dataset'])
    metainfo['split'] = split
    os.makedirs(osp.dirname(target), exist_ok=True)
    dump_canonical(target, metainfo, records)


def on_synthetic_data(cfg, root: str):
    """A dataset config whose annotation files are synthetic ones."""
    if isinstance(cfg, list):
        return [on_synthetic_data(c, root) for c in cfg]
    if not isinstance(cfg, dict):
        return cfg
    cfg = {k: on_synthetic_data(v, root) for k, v in cfg.items()}
    if 'ann_file' in cfg:
        provide_ann_file(root, cfg['ann_file'], cfg.get('type'))
        cfg['data_root'] = root
        # The records' img_path is relative to the synthetic root.
        cfg['data_prefix'] = dict(img='')
    return cfg


def with_output_in(cfg, folder: str):
    """An evaluator config whose dump files are written under ``folder``."""
    if isinstance(cfg, list):
        return [with_output_in(c, folder) for c in cfg]
    if not isinstance(cfg, dict):
        return cfg
    cfg = {k: with_output_in(v, folder) for k, v in cfg.items()}
    if 'out_file_path' in cfg:
        cfg['out_file_path'] = osp.join(folder,
                                        osp.basename(cfg['out_file_path']))
    return cfg


def build_evaluator(cfg) -> Evaluator:
    """As mmengine's ``Runner.build_evaluator`` does."""
    if isinstance(cfg, dict) and 'metrics' in cfg:
        return EVALUATOR.build(cfg)
    return Evaluator(cfg)


def perfect_prediction(sample):
    """The sample with its ground truth as prediction, at both
    resolutions (``masks`` and ``input_masks``) where it has masks."""
    pred = InstanceData()
    boxes = torch.as_tensor(
        np.asarray(sample.ori_gt_bboxes, dtype=np.float32).reshape(-1, 4))
    pred.bboxes = boxes
    pred.scores = torch.ones(len(boxes))
    if 'ori_gt_mask' in sample:
        pred.masks = torch.from_numpy(
            mask_utils.decode(sample.ori_gt_mask).astype(bool))[None]
    gt_masks = getattr(sample.gt_instances, 'masks', None)
    if gt_masks is not None:
        h, w = sample.img_shape[:2]
        union = gt_masks.to_ndarray().astype(bool).any(axis=0)[:h, :w]
        pred.input_masks = torch.from_numpy(union)[None]
    sample.pred_instances = pred
    return sample


def run_config(cfg: Config, root: str, out_dir: str) -> dict:
    """Build the datasets and evaluators of a config on synthetic data.

    Returns:
        dict: The metrics of each evaluator on its first sample.
    """
    first_samples = {}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loaders = cfg.get(key)
        if loaders is None:
            continue
        for loader in loaders if isinstance(loaders, list) else [loaders]:
            dataset = DATASETS.build(on_synthetic_data(loader.dataset, root))
            assert len(dataset) > 0
            first_samples.setdefault(key, (dataset, dataset[0]))
    if 'dataset' in cfg:
        dataset = DATASETS.build(on_synthetic_data(cfg.dataset, root))
        assert len(dataset) > 0
        dataset[0]
    if not any(key in cfg for key in LOADER_OF_EVALUATOR):
        return {}
    synthetic = Config.fromfile(
        osp.join(CONFIGS, '_base_', 'datasets', 'synthetic.py'))
    default = DATASETS.build(
        on_synthetic_data(synthetic.test_dataloader.dataset, root))
    metrics = {}
    for key, loader_key in LOADER_OF_EVALUATOR.items():
        if key not in cfg:
            continue
        dataset, packed = first_samples.get(loader_key, (default, default[0]))
        evaluator = build_evaluator(with_output_in(cfg[key], out_dir))
        evaluator.dataset_meta = dataset.metainfo
        evaluator.process([perfect_prediction(packed['data_samples'])])
        metrics[key] = evaluator.evaluate(1)
    return metrics


def run_snippet(source: str, root: str, tmp_path) -> dict:
    """Parse a snippet, skip it if it is a fragment, else run it."""
    tree = ast.parse(source)
    missing = missing_names(tree)
    if missing:
        pytest.skip(f'a fragment: reads {missing}, which it does not define')
    path = tmp_path / 'snippet_config.py'
    path.write_text(with_absolute_bases(source, tree))
    return run_config(Config.fromfile(str(path)), root, str(tmp_path))


@pytest.mark.parametrize('source', config_snippets())
def test_config_snippet_runs(source, synthetic_root, tmp_path):
    run_snippet(source, synthetic_root, tmp_path)


def test_config_snippets_are_found():
    found = {}
    for param in config_snippets():
        page = param.id.split(':')[0]
        found[page] = found.get(page, '') + param.values[0]
    assert 'MultiSplitTestLoop' in found['docs/en/metrics.md']
    assert 'deepspeed_zero3' in found['docs/en/large_model_training.md']


def test_a_dataset_argument_that_does_not_exist_fails(synthetic_root,
                                                      tmp_path):
    # The multi-split example once passed split= to the dataset.
    source = ("test_dataloader = dict(dataset=dict(type='RefCOCODataset', "
              "ann_file='annotations/refcoco_unc_val.json', split='val', "
              'test_mode=True, pipeline=[]))\n')
    with pytest.raises(TypeError, match="unexpected keyword argument 'split'"):
        run_snippet(source, synthetic_root, tmp_path)


def test_a_fragment_is_skipped_naming_what_it_lacks(synthetic_root, tmp_path):
    source = "dataset = dict(type='RefCOCODataset', pipeline=test_pipeline)\n"
    with pytest.raises(pytest.skip.Exception, match='test_pipeline'):
        run_snippet(source, synthetic_root, tmp_path)


def test_perfect_predictions_score_100(synthetic_root, tmp_path):
    # The prediction the snippets are scored with matches the pipeline's
    # ground truth, at both mask resolutions.
    source = ("_base_ = ['../_base_/datasets/synthetic.py']\n"
              "test_evaluator = [dict(type='RECMetric'), "
              "dict(type='RESMetric'), "
              "dict(type='RESMetric', resolution='input', prefix='in')]\n")
    metrics = run_snippet(source, synthetic_root, tmp_path)['test_evaluator']
    assert metrics['rec/Acc@0.5'] == 100.0
    assert metrics['res/oIoU'] == 100.0
    assert metrics['in/oIoU'] == 100.0
