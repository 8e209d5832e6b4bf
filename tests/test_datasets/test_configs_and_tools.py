# Copyright (c) mmvg contributors. All rights reserved.
import glob
import os
import os.path as osp
import warnings

import pytest
from mmengine.config import Config

from mmvg.registry import DATASETS
from mmvg.utils import register_all_modules

REPO = osp.join(osp.dirname(__file__), '..', '..')
register_all_modules()


@pytest.mark.parametrize(
    'path', sorted(glob.glob(osp.join(REPO, 'configs/_base_/datasets/*.py'))))
def test_dataset_configs_parse(path):
    cfg = Config.fromfile(path)
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        assert dataset.pipeline[-1].type == 'PackVGInputs'
        assert dataset.get('test_mode', False) == (split != 'train')
    assert cfg.val_evaluator.type.endswith('Metric')


@pytest.fixture(scope='module')
def synthetic_config(synthetic_raw, tmp_path_factory, data_tool):
    """configs/_base_/datasets/synthetic.py on the synthetic fixture."""
    root, _ = synthetic_raw
    ann_dir = osp.join(root, 'annotations')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        data_tool('import_refer').main([
            '--refer-dir',
            osp.join(root, 'refcoco'), '--dataset', 'synthetic', '--split-by',
            'unc', '--data-root', root, '--image-dir', 'train2014',
            '--out-dir', ann_dir
        ])
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/synthetic.py'))
    for split in ('train', 'val'):
        cfg[f'{split}_dataloader'].dataset.data_root = root + '/'
        # The importer above wrote the files: nothing to generate.
        cfg[f'{split}_dataloader'].dataset.generate_if_missing = False
    path = str(tmp_path_factory.mktemp('cfg') / 'synthetic.py')
    cfg.dump(path)
    return path


def test_synthetic_config_builds(synthetic_config):
    cfg = Config.fromfile(synthetic_config)
    for split in ('train', 'val'):
        dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
        packed = dataset[0]
        sample = packed['data_samples']
        assert packed['inputs'].shape == (3, 256, 256)
        # Text is tokenized by the model's data preprocessor.
        assert 'tokens' not in sample
        assert sample.text == ' '.join(sample.text.lower().split())
        assert sample.ori_text == dataset.get_data_info(0)['text']
        assert sample.pad_shape == (256, 256)
        assert max(sample.img_shape) == 256
        assert len(sample.gt_instances.masks) == 1


def test_browse_dataset(synthetic_config, tmp_path, analysis_tool):
    browse = analysis_tool('browse_dataset')
    browse.main([
        synthetic_config, '--output-dir',
        str(tmp_path), '--num', '3', '--split', 'val'
    ])
    assert len(os.listdir(tmp_path)) == 3


def test_benchmark_data(synthetic_config, tmp_path, capsys, analysis_tool):
    bench = analysis_tool('benchmark_data')
    bench.main([
        'pipeline', synthetic_config, '--num-samples', '16', '--batch-size',
        '4'
    ])
    assert 'samples/s' in capsys.readouterr().out
    path = str(tmp_path / 'gen.jsonl')
    bench.main(['load', path, '--generate', '2000', '--num-workers', '0'])
    out = capsys.readouterr().out
    assert 'loaded 2000 records' in out and 'PSS' in out


def test_benchmark_data_compares_trees(tmp_path, capsys, analysis_tool):
    """``load --trees`` builds the dataset with each tree's mmvg in a fresh
    process; the generated file carries its record count."""
    from mmvg.datasets import load_canonical
    path = str(tmp_path / 'gen.jsonl')
    analysis_tool('benchmark_data').main(
        ['load', path, '--generate', '300', '--trees', REPO, '--repeat', '1'])
    out = capsys.readouterr().out
    assert out.count('loaded 300 records in') == 1
    assert f'{REPO}: median' in out
    assert load_canonical(path)[0]['num_records'] == 300
