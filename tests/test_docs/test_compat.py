# Copyright (c) mmvg contributors. All rights reserved.
"""docs/en/compat.md lists exactly the parent names mmvg replaces and the
process-wide changes that importing mmvg.engine makes."""
import os.path as osp
import re

import pytest
from mmengine.fileio.backends import registry_utils
from mmengine.registry import DefaultScope, Registry
from mmengine.runner import CheckpointLoader

import mmvg.registry as mmvg_registry
from mmvg.utils import register_all_modules

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
COMPAT = osp.join(REPO, 'docs', 'en', 'compat.md')
PROCESS_WIDE = {'local checkpoint loader', 'local file backend'}


def _table_rows():
    """(name, registry) of every row of the table in compat.md."""
    rows = []
    with open(COMPAT, encoding='utf-8') as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if len(cells) == 6 and cells[0] not in ('name', '---'):
                rows.append((cells[0].strip('`'), cells[1].strip('`')))
    return rows


def _replaced_names():
    """(name, registry) of each mmvg name that a parent registry holds."""
    register_all_modules(init_default_scope=False)
    replaced = set()
    for attr, registry in vars(mmvg_registry).items():
        if not isinstance(registry, Registry) or registry.scope != 'mmvg':
            continue
        for name in registry.module_dict:
            parent = registry.parent
            while parent is not None:
                if name in parent.module_dict:
                    replaced.add((name, attr))
                    break
                parent = parent.parent
    return replaced


def test_table_matches_registries():
    rows = _table_rows()
    assert len(rows) == len(set(rows)), 'a row is listed twice'
    documented = {(n, r) for n, r in rows if r != 'process-wide'}
    replaced = _replaced_names()
    assert replaced - documented == set(), (
        'mmvg replaces parent names that docs/en/compat.md does not list')
    assert documented - replaced == set(), (
        'docs/en/compat.md lists replacements that are not registered')
    assert {n for n, r in rows if r == 'process-wide'} == PROCESS_WIDE


def test_process_wide_changes():
    import mmvg.engine  # noqa: F401
    from mmvg.engine.checkpoint import load_checkpoint_file
    from mmvg.engine.crash_safety import AtomicLocalBackend
    schemes = CheckpointLoader._schemes
    assert schemes[''] is load_checkpoint_file
    # Any other scheme or backend mmvg replaced would need its own row.
    for prefix, loader in schemes.items():
        if prefix:
            assert loader.__module__.startswith('mmengine.'), prefix
    assert registry_utils.backends['local'] is AtomicLocalBackend
    for name, backend in registry_utils.backends.items():
        if name != 'local':
            assert backend.__module__.startswith('mmengine.'), name


@pytest.fixture
def mmvg_scope():
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmvg'):
        yield


def test_pad_is_mmdets(mmvg_scope):
    from mmdet.datasets.transforms import Pad

    from mmvg.datasets.transforms import VGPad
    from mmvg.registry import TRANSFORMS
    assert type(TRANSFORMS.build(dict(type='Pad', size=(8, 8)))) is Pad
    assert type(TRANSFORMS.build(dict(type='VGPad', size=(8, 8)))) is VGPad


def test_escape_hatches(mmvg_scope):
    from mmengine.runner import Runner as MMEngineRunner

    from mmvg.engine import VGRunner
    from mmvg.registry import RUNNERS

    # mmvg's runner has its own name: its strict load_from changes what
    # mmdet's fine-tuning configs rely on
    assert RUNNERS.get('VGRunner') is VGRunner
    assert RUNNERS.get('Runner') is MMEngineRunner
    assert RUNNERS.get('mmengine.Runner') is MMEngineRunner


def test_readme_links_compat():
    with open(osp.join(REPO, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    assert re.search(r'\]\(docs/en/compat\.md\)', readme)
