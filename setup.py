#!/usr/bin/env python
# Copyright (c) mmvg contributors. All rights reserved.
"""Install mmvg.

torch is deliberately absent from every requirement: users bring the torch
build that matches their CUDA, and an install into an existing mmdet
environment must not re-resolve it. mmcv, mmengine and mmdet are pinned in
the ``mim`` extra (as mmdet's ``mminstall.txt``) for the same reason.
"""
import os
import os.path as osp
import shutil
import sys
import warnings
from setuptools import find_packages, setup

MIM_FILES = ['tools', 'configs', 'demo', 'model-index.yml']


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    namespace = {}
    with open(osp.join('mmvg', 'version.py')) as f:
        exec(compile(f.read(), 'mmvg/version.py', 'exec'), namespace)
    return namespace['__version__']


def parse_requirements(fname: str) -> list:
    """Read one requirements file, following ``-r`` includes."""
    requirements = []
    with open(fname) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line.startswith('-r '):
                requirements += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            elif line:
                requirements.append(line)
    return requirements


def add_mim_extension() -> None:
    """Expose tools, configs, demo and model-index.yml as ``mmvg/.mim``.

    Editable installs (``setup.py develop`` and PEP 660 ``editable_wheel``,
    which ``pip install -e .`` uses) link them, so edits stay live; sdist
    and wheel builds copy them into the package.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'build_py'} & set(sys.argv):
        mode = 'copy'
    else:
        return

    repo_path = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo_path, 'mmvg', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in MIM_FILES:
        src = osp.join(repo_path, filename)
        dst = osp.join(mim_path, filename)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            try:
                os.symlink(osp.relpath(src, osp.dirname(dst)), dst)
                continue
            except OSError:
                warnings.warn(f'Failed to link {src}; copying it instead.')
        if osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    # The tests include the demo's requirements: they drive the web demo.
    tests = parse_requirements('requirements/tests.txt')
    demo = parse_requirements('requirements/demo.txt')
    deepspeed = parse_requirements('requirements/deepspeed.txt')
    mim = parse_requirements('requirements/mminstall.txt')
    setup(
        name='mmvg',
        version=get_version(),
        description='OpenMMLab-style toolbox for visual grounding',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='visual grounding, referring expression, computer vision',
        url='https://github.com/mmvg/mmvg',
        packages=find_packages(
            exclude=('configs', 'tools', 'demo', 'tests', 'data_tools')),
        include_package_data=True,
        python_requires='>=3.8',
        license='Apache License 2.0',
        classifiers=[
            'Development Status :: 3 - Alpha',
            'License :: OSI Approved :: Apache Software License',
            'Operating System :: OS Independent',
            'Programming Language :: Python :: 3',
            'Programming Language :: Python :: 3.11',
        ],
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'tests': tests,
            'demo': demo,
            'deepspeed': deepspeed,
            'mim': mim,
            'all': tests + deepspeed + mim,
        },
        zip_safe=False)
