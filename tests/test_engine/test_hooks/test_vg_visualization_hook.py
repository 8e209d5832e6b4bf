# Copyright (c) mmvg contributors. All rights reserved.
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmvg.engine.hooks import VGVisualizationHook
from mmvg.structures import VGDataSample
from mmvg.visualization import VGLocalVisualizer


def sample_of(img_path: str, sent_id: int) -> VGDataSample:
    sample = VGDataSample(
        metainfo=dict(
            img_path=img_path,
            sent_id=sent_id,
            ori_text=f'expression {sent_id}',
            ori_gt_bboxes=np.array([[2, 2, 20, 20]], np.float32)))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[4., 4., 24., 24.]]), scores=torch.ones(1))
    return sample


@pytest.fixture
def hook_and_runner(tmp_path):
    VGLocalVisualizer.get_instance(f'hook_test_{tmp_path.name}')
    hook = VGVisualizationHook(draw=True, test_out_dir='vis')
    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='stamp')
    hook.before_test(runner)
    return hook, runner


def test_pictures_per_expression_under_the_run(tmp_path, hook_and_runner):
    hook, runner = hook_and_runner
    image = str(tmp_path / 'photo.png')
    mmcv.imwrite(np.full((32, 40, 3), 90, np.uint8), image)
    for batch_idx in range(2):
        hook.after_test_iter(
            runner, batch_idx, {},
            [sample_of(image, 2 * batch_idx + k) for k in range(2)])
    out_dir = tmp_path / 'stamp' / 'vis'
    assert sorted(p.name for p in out_dir.iterdir()) == [
        f'photo_{i}.png' for i in range(4)
    ]


def test_unreadable_image_names_file_and_record(tmp_path, hook_and_runner):
    hook, runner = hook_and_runner
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(OSError, match=r'broken\.jpg.*sent_id=5'):
        hook.after_test_iter(runner, 0, {}, [sample_of(str(broken), 5)])
    with pytest.raises(FileNotFoundError, match=r'missing\.jpg.*sent_id=6'):
        hook.after_test_iter(runner, 0, {},
                             [sample_of(str(tmp_path / 'missing.jpg'), 6)])
