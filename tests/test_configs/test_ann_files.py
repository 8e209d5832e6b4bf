# Copyright (c) mmvg contributors. All rights reserved.
"""Every dataset config reads the files its importer writes.

The importers in ``data_tools/`` run here on small synthetic inputs (the
refer files of ``make_synthetic.py``, with their splits renamed for the
other split schemes, and a two-image Flickr30k Entities tree); the
canonical files they write, with the metainfo inside, are the reference.
For every config under ``configs/`` (dataset bases and leaves), the
``ann_file`` of each of its train/val/test dataloaders must be one of
them, of the dataset its ``type`` names, in a split scheme that dataset
accepts, and of the train split only for training. This is the check
that the Flickr30k leaves, once reading ``flickr30k_{split}.json``, lacked.
"""
import glob
import importlib.util
import os
import os.path as osp
import pickle
import shutil
import warnings

import pytest
from mmengine.config import Config

from mmvg.datasets.canonical import load_canonical
from mmvg.registry import DATASETS
from mmvg.utils import register_all_modules

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG_ROOT = osp.join(REPO, 'configs')
ALL_CONFIGS = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True))
# The refer-format datasets, their split schemes and how the synthetic
# splits (train/val/testA/testB) map onto each scheme's splits.
REFER_VARIANTS = [
    ('synthetic', 'unc', {}),
    ('refcoco', 'unc', {}),
    ('refcoco+', 'unc', {}),
    ('refcocog', 'umd', dict(testA='test', testB='test')),
    ('refcocog', 'google', dict(testA='val', testB='val')),
    ('referit', 'berkeley', dict(testA='test', testB='test')),
]
FLICKR_SENTENCE = ('[/EN#1/people A man] rides [/EN#2/vehicles a bike] '
                   'past [/EN#3/other a wall] .\n')
FLICKR_XML = """<annotation>
  <size><width>120</width><height>90</height><depth>3</depth></size>
  <object><name>1</name><bndbox><xmin>5</xmin><ymin>6</ymin>
    <xmax>50</xmax><ymax>80</ymax></bndbox></object>
  <object><name>2</name><bndbox><xmin>40</xmin><ymin>30</ymin>
    <xmax>110</xmax><ymax>85</ymax></bndbox></object>
  <object><name>3</name><scene>1</scene></object>
</annotation>
"""


def load_data_tool(name: str):
    """Import ``data_tools/<name>.py`` (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f'data_tools_{name}', osp.join(REPO, 'data_tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_flickr_tree(root: str) -> None:
    """A Flickr30k Entities tree with one image per split."""
    for folder in ('Sentences', 'Annotations'):
        os.makedirs(osp.join(root, folder))
    for index, split in enumerate(('train', 'val', 'test')):
        image = str(1000 + index)
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(image + '\n')
        with open(osp.join(root, 'Sentences', f'{image}.txt'), 'w') as f:
            f.write(FLICKR_SENTENCE)
        with open(osp.join(root, 'Annotations', f'{image}.xml'), 'w') as f:
            f.write(FLICKR_XML)


@pytest.fixture(scope='module')
def importer_files(tmp_path_factory) -> dict:
    """Run every importer the configs rely on; return the metainfo of
    each written file by file name."""
    root = str(tmp_path_factory.mktemp('importers'))
    raw = osp.join(root, 'raw')
    out_dir = osp.join(root, 'annotations')
    load_data_tool('make_synthetic').main(
        ['--out-dir', raw, '--num-images', '20', '--grefcoco'])
    with open(osp.join(raw, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    import_refer = load_data_tool('import_refer')
    with warnings.catch_warnings():
        # Published-count mismatches: these are not the real datasets.
        warnings.simplefilter('ignore')
        for dataset, split_by, rename in REFER_VARIANTS:
            refer_dir = osp.join(root, f'{dataset}_{split_by}')
            os.makedirs(refer_dir)
            shutil.copy(osp.join(raw, 'refcoco', 'instances.json'), refer_dir)
            variant = [
                dict(ref, split=rename.get(ref['split'], ref['split']))
                for ref in refs
            ]
            with open(osp.join(refer_dir, f'refs({split_by}).p'), 'wb') as f:
                pickle.dump(variant, f)
            import_refer.main([
                '--refer-dir', refer_dir, '--dataset', dataset, '--split-by',
                split_by, '--no-image-check', '--out-dir', out_dir
            ])
        load_data_tool('import_grefcoco').main([
            '--grefcoco-dir',
            osp.join(raw, 'grefcoco'), '--no-image-check', '--out-dir', out_dir
        ])
        flickr_dir = osp.join(root, 'flickr30k_entities')
        write_flickr_tree(flickr_dir)
        import_flickr = load_data_tool('import_flickr30k')
        for mode in ('rec', 'phrase'):
            import_flickr.main([
                '--flickr-dir', flickr_dir, '--mode', mode, '--no-image-check',
                '--out-dir', out_dir
            ])
        # SimREC's pretraining set, merged from the imported train files.
        load_data_tool('merge_pretrain').main([
            '--train',
            osp.join(out_dir, 'refcoco_unc_train.json'), '--held-out',
            osp.join(out_dir, 'refcoco_unc_val.json'), '--out',
            osp.join(out_dir, 'mixed_pretrain_train.jsonl')
        ])
    return {
        name: load_canonical(osp.join(out_dir, name))[0]
        for name in os.listdir(out_dir)
    }


def test_importers_wrote_every_scheme(importer_files):
    prefixes = {name.rsplit('_', 1)[0] for name in importer_files}
    assert prefixes == {
        'synthetic_unc', 'refcoco_unc', 'refcoco+_unc', 'refcocog_umd',
        'refcocog_google', 'referit_berkeley', 'grefcoco_unc',
        'flickr30k_entities', 'flickr30k_phrase', 'mixed_pretrain'
    }


@pytest.mark.parametrize(
    'path', ALL_CONFIGS, ids=lambda p: osp.relpath(p, CONFIG_ROOT))
def test_ann_file_is_written_by_its_importer(path, importer_files):
    cfg = Config.fromfile(path)
    loaders = [(split, cfg.get(f'{split}_dataloader'))
               for split in ('train', 'val', 'test')]
    loaders = [(split, loader) for split, loader in loaders if loader]
    if not loaders:
        return
    register_all_modules(init_default_scope=False)
    for split, loader in loaders:
        dataset = loader.dataset
        name = osp.basename(dataset.ann_file)
        where = f'{split}_dataloader.dataset.ann_file={dataset.ann_file!r}'
        assert name in importer_files, (
            f'{where}: no importer writes {name}; they write '
            f'{sorted(importer_files)}')
        # Under annotations/ (the synthetic gRefCOCO-style variant in its
        # own folder, annotations/grefcoco/).
        assert dataset.ann_file.split('/')[0] == 'annotations', where
        written = importer_files[name]
        assert (written['split'] == 'train') == (split == 'train'), where
        expected = DATASETS.get(dataset.type).METAINFO
        if not expected:
            # VGDataset reads any canonical file (merged sets).
            continue
        assert written['dataset'] == expected['dataset'], (
            f'{where} holds {written["dataset"]}, but {dataset.type} reads '
            f'{expected["dataset"]}')
        assert written['split_by'] in expected['split_by'], where
