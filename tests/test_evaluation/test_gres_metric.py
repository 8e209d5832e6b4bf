# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmvg.evaluation.metrics import GRESMetric

SHAPE = (4, 4)


def block(rows, cols):
    m = np.zeros(SHAPE, dtype=bool)
    m[rows, cols] = True
    return m


def gres_sample(pred, gt, no_target):
    return dict(
        text='everything red',
        img_path='x.jpg',
        no_target=no_target,
        ori_gt_mask=mask_utils.encode(np.asfortranarray(gt.astype(np.uint8))),
        pred_instances=dict(
            masks=torch.as_tensor(pred)[None], scores=torch.ones(1)))


def test_rela_semantics_by_hand():
    empty = np.zeros(SHAPE, dtype=bool)
    gt = block(slice(0, 2), slice(0, 2))  # 4 pixels
    samples = [
        # No target, predicted empty: IoU 1, no pixels.
        gres_sample(empty, empty, True),
        # No target, 3 predicted pixels: IoU 0, U += 3.
        gres_sample(block(3, slice(0, 3)), empty, True),
        # Target, predicted empty: IoU 0, U += 4, a T-acc miss.
        gres_sample(empty, gt, False),
        # Target, perfect: I = U = 4.
        gres_sample(gt, gt, False),
        # Target, half: I = 2, U = 4.
        gres_sample(block(0, slice(0, 2)), gt, False),
    ]
    metric = GRESMetric(by_num_targets=True)
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    assert metrics['gres/gIoU'] == pytest.approx(100 * 2.5 / 5)
    assert metrics['gres/cIoU'] == pytest.approx(100 * 6 / 15)
    assert metrics['gres/N-acc'] == 50.0
    assert metrics['gres/T-acc'] == pytest.approx(200 / 3)
    # Over the 3 targeted samples, IoUs 0, 1, 0.5.
    assert metrics['gres/Pr@0.7'] == pytest.approx(100 / 3)
    assert metrics['gres/Pr@0.9'] == pytest.approx(100 / 3)
    assert metrics['gres/targets_0/gIoU'] == 50.0
    assert metrics['gres/targets_1/gIoU'] == 50.0


def test_no_target_flag_defaults_to_empty_gt():
    empty = np.zeros(SHAPE, dtype=bool)
    sample = gres_sample(empty, empty, True)
    del sample['no_target']
    metric = GRESMetric()
    metric.process(None, [sample])
    metrics = metric.evaluate(1)
    # All-empty split: gIoU 100, cIoU has no pixels and is left out, as
    # are T-acc and Pr@X without targeted samples.
    assert metrics == {'gres/gIoU': 100.0, 'gres/N-acc': 100.0}


def test_float_mask_is_refused_naming_the_record():
    gt = block(slice(0, 2), slice(0, 2))
    sample = gres_sample(gt.astype(np.float16) * 0.6, gt, False)
    sample['sent_id'] = 3
    with pytest.raises(TypeError, match=r"float.*x.jpg.*sent_id=3"):
        GRESMetric().process(None, [sample])
