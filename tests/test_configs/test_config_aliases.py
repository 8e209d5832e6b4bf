# Copyright (c) mmvg contributors. All rights reserved.
"""The config names of mmvg 0.1.0 still load, naming the new file."""
import os.path as osp
import shutil

import pytest

from mmvg.utils import CONFIG_ALIASES, resolve_config_path

CONFIG_ROOT = osp.abspath(
    osp.join(osp.dirname(__file__), '..', '..', 'configs'))


def test_every_old_name_points_to_a_config():
    assert len(CONFIG_ALIASES) == 38
    for old, new in CONFIG_ALIASES.items():
        assert not osp.exists(osp.join(CONFIG_ROOT, old)), old
        assert osp.isfile(osp.join(CONFIG_ROOT, new)), new
        # Configs only change name, never directory.
        assert osp.dirname(old) == osp.dirname(new)
    names = [osp.basename(old) for old in CONFIG_ALIASES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize('old', sorted(CONFIG_ALIASES))
def test_old_name_resolves_with_a_warning(old):
    path = osp.join(CONFIG_ROOT, old)
    with pytest.warns(FutureWarning, match='renamed to') as record:
        resolved = resolve_config_path(path)
    assert resolved == osp.join(CONFIG_ROOT, CONFIG_ALIASES[old])
    assert osp.basename(CONFIG_ALIASES[old]) in str(record[0].message)


def test_relative_and_scoped_paths(monkeypatch):
    monkeypatch.chdir(CONFIG_ROOT)
    old = 'vltvg/vltvg_r50_90e_refcoco.py'
    new = 'vltvg/vltvg_r50_bert-base_4xb16-90e_refcoco.py'
    with pytest.warns(FutureWarning):
        assert resolve_config_path(old) == new
    with pytest.warns(FutureWarning):
        assert resolve_config_path(f'mmvg::{old}') == f'mmvg::{new}'
    monkeypatch.chdir(osp.join(CONFIG_ROOT, 'vltvg'))
    with pytest.warns(FutureWarning):
        assert resolve_config_path(osp.basename(old)) == osp.basename(new)


def test_existing_and_unknown_paths_are_unchanged(recwarn):
    new = osp.join(CONFIG_ROOT, 'lavt',
                   'lavt_swin-b_bert-base_8xb4-40e_refcoco.py')
    assert resolve_config_path(new) == new
    missing = osp.join(CONFIG_ROOT, 'lavt', 'no_such_config.py')
    assert resolve_config_path(missing) == missing
    assert resolve_config_path('mmvg::lavt/x.py') == 'mmvg::lavt/x.py'
    assert not recwarn.list


def test_an_old_file_that_exists_is_loaded_as_it_is(tmp_path, recwarn):
    """A user's own copy under the old name wins over the alias."""
    old = tmp_path / 'vltvg_r50_90e_refcoco.py'
    old.write_text("model = dict(type='VLTVG')\n")
    assert resolve_config_path(str(old)) == str(old)
    assert not recwarn.list


def test_old_name_without_the_new_file_names_it(tmp_path):
    shutil.copy(
        osp.join(CONFIG_ROOT, 'vltvg',
                 'vltvg_r50_bert-base_4xb16-90e_refcoco.py'), tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        resolve_config_path(str(tmp_path / 'lavt_swin-b_40e_refcoco.py'))
    assert 'lavt/lavt_swin-b_bert-base_8xb4-40e_refcoco.py' in str(error.value)
