# Copyright (c) mmvg contributors. All rights reserved.
"""The quick-start command path: tools/train.py on the VLTVG synthetic
config writes the synthetic data on first run, trains, evaluates and
prints Acc@0.5; the demo then runs on its checkpoint."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest

from mmvg.datasets import prepare_synthetic

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(REPO, 'configs', 'vltvg',
                  'vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py')


def run(args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_quick_start_command(tmp_path, monkeypatch):
    # The config's data_root is relative (data/synthetic/): running in
    # tmp_path makes the first run generate a small dataset there.
    log = run([
        osp.join(REPO, 'tools', 'train.py'), CONFIG, '--work-dir', 'work',
        '--cfg-options', 'train_dataloader.dataset.num_images=24',
        'val_dataloader.dataset.num_images=24',
        'train_dataloader.batch_size=4', 'val_dataloader.batch_size=16',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False', 'train_cfg.max_iters=3',
        'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=3'
    ],
              cwd=str(tmp_path))
    data_root = tmp_path / 'data' / 'synthetic'
    assert (data_root / 'annotations' / 'vocab.json').is_file()
    assert len(os.listdir(data_root / 'train2014')) == 24
    assert 'rec/Acc@0.5' in log
    checkpoint = tmp_path / 'work' / 'iter_3.pth'
    assert checkpoint.is_file()
    # Nothing is rewritten once the files exist.
    assert not prepare_synthetic(str(data_root), num_images=24)

    # The demo, in this process to spare a second interpreter start.
    # The tokenizer reads data/synthetic/annotations/vocab.json from the
    # working directory, as the training did.
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location(
        'image_demo', osp.join(REPO, 'demo', 'image_demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    img = str(sorted((data_root / 'train2014').iterdir())[0])
    out_dir = tmp_path / 'outputs'
    # The config's name of mmvg 0.1.0 still loads, with a warning.
    old_config = osp.join(REPO, 'configs', 'vltvg',
                          'vltvg_r18-tiny_2500i_synthetic.py')
    with pytest.warns(FutureWarning, match=osp.basename(CONFIG)):
        result = demo.main([
            img, old_config, '--weights',
            str(checkpoint), '--texts', 'the red circle', '--out-dir',
            str(out_dir)
        ])
    assert len(result['predictions'][0]['expressions'][0]['bboxes']) == 1
    name = osp.splitext(osp.basename(img))[0]
    picture = cv2.imread(str(out_dir / 'vis' / f'{name}.jpg'))
    assert picture.shape[1] == cv2.imread(img).shape[1]
