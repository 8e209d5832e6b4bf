# Copyright (c) mmvg contributors. All rights reserved.
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tarfile

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

INSTALL_FILES = [
    'setup.py', 'setup.cfg', 'README.md', 'MANIFEST.in', 'LICENSE',
    'model-index.yml', 'requirements', 'mmvg', 'tools', 'configs', 'demo'
]


def _copy_repo(dst):
    """A copy of what setup.py reads, so builds never touch the checkout."""
    for name in INSTALL_FILES:
        src = osp.join(REPO_ROOT, name)
        if osp.isdir(src):
            shutil.copytree(
                src,
                osp.join(dst, name),
                symlinks=True,
                ignore=shutil.ignore_patterns('.mim', '__pycache__'))
        else:
            shutil.copyfile(src, osp.join(dst, name))


def _run_setup(repo, *argv):
    code = ('import sys, runpy; sys.argv = ["setup.py", *sys.argv[1:]]; '
            'runpy.run_path("setup.py", run_name="__main__")')
    return subprocess.run([sys.executable, '-c', code, *argv],
                          cwd=repo,
                          capture_output=True,
                          text=True,
                          check=True)


def test_sdist_carries_mim_copies(tmp_path):
    repo = tmp_path / 'repo'
    repo.mkdir()
    _copy_repo(repo)
    _run_setup(repo, 'sdist', '--dist-dir', str(tmp_path / 'dist'))
    (sdist, ) = (tmp_path / 'dist').glob('mmvg-*.tar.gz')
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    for expected in ('mmvg/.mim/configs/_base_/default_runtime.py',
                     'mmvg/.mim/tools/train.py',
                     'mmvg/.mim/tools/dist_train.sh',
                     'mmvg/.mim/model-index.yml'):
        assert any(n.endswith(expected) for n in names), expected
    assert not osp.islink(repo / 'mmvg' / '.mim' / 'configs')


def test_editable_install_links_mim_folders(tmp_path):
    repo = tmp_path / 'repo'
    repo.mkdir()
    _copy_repo(repo)
    # pip install -e . runs setup.py with editable_wheel (PEP 660);
    # only the .mim step matters here, so stop after it.
    code = ('import sys, runpy; sys.argv = ["setup.py", "editable_wheel"]; '
            'ns = runpy.run_path("setup.py"); ns["add_mim_extension"]()')
    subprocess.run([sys.executable, '-c', code], cwd=repo, check=True)
    for name in ('tools', 'configs', 'demo', 'model-index.yml'):
        link = repo / 'mmvg' / '.mim' / name
        assert osp.islink(link), name
        assert osp.samefile(link, repo / name)


def test_checkout_is_installed_with_mim_links():
    # the CI's editable install
    import mmvg
    mim = osp.join(osp.dirname(mmvg.__file__), '.mim')
    assert osp.isfile(osp.join(mim, 'configs', '_base_', 'default_runtime.py'))
    assert osp.isfile(osp.join(mim, 'tools', 'train.py'))


def test_install_into_mmdet_env_resolves_nothing_else(tmp_path):
    report = tmp_path / 'report.json'
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1')
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--dry-run', '--quiet',
        '--no-build-isolation', '--report',
        str(report), '-e', REPO_ROOT
    ],
                   check=True,
                   env=env,
                   capture_output=True)
    installs = json.loads(report.read_text())['install']
    names = sorted(item['metadata']['name'] for item in installs)
    assert names == ['mmvg']
