# Copyright (c) mmvg contributors. All rights reserved.
"""SimRECHead against the official REChead facts.

``tests/data/simrec/simota_cases.json`` holds 20 random cases made with
the official ``REChead`` (luogen1996/SimREC e8136cc): per case the grid
(h, w) at stride 32, the raw head outputs per cell (dx, dy, log dw,
log dh, objectness logit; row-major), the gt box (xyxy input pixels), the
official SimOTA positives (cell indices), their matched IoUs and the
official loss of the one-sample batch; and three batches of same-grid
cases with their official loss (normalised by the batch's positives).
"""
import json
import os.path as osp

import pytest
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData

from mmvg.models.heads import SimRECHead
from mmvg.structures import VGDataSample
from mmvg.utils import register_all_modules

register_all_modules()

with open(
        osp.join(
            osp.dirname(__file__), '..', '..', 'data', 'simrec',
            'simota_cases.json')) as f:
    FIXTURE = json.load(f)
CASES = FIXTURE['cases']

# Parameters of the official REChead(num_classes=0, strides=[32],
# in_channels=[512], width=1.0): instantiated, p.numel() summed over
# parameters(); its state_dict has 22 entries and no cls_convs/cls_preds.
OFFICIAL_RECHEAD_PARAMS = 1_313_541


def _outputs(cases):
    """(B, 4, h, w) deltas and (B, 1, h, w) logits of same-grid cases."""
    h, w = cases[0]['grid']
    raw = torch.tensor([case['raw'] for case in cases], dtype=torch.float32)
    raw = raw.view(len(cases), h, w, 5).permute(0, 3, 1, 2)
    return raw[:, :4], raw[:, 4:]


def _gts_and_metas(cases):
    gts, metas = [], []
    for i, case in enumerate(cases):
        gt = InstanceData()
        gt.bboxes = torch.tensor([case['gt_bbox']])
        gts.append(gt)
        h, w = case['grid']
        metas.append(
            dict(batch_input_shape=(h * 32, w * 32), img_path=f'{i}.jpg'))
    return gts, metas


def _loss(head, cases):
    gts, metas = _gts_and_metas(cases)
    losses = head.loss_by_feat(
        *_outputs(cases), batch_gt_instances=gts, batch_img_metas=metas)
    return losses['loss_bbox'] + losses['loss_obj']


def test_official_parameter_count_and_keys():
    head = SimRECHead()
    assert sum(p.numel() for p in head.parameters()) == \
        OFFICIAL_RECHEAD_PARAMS
    bn = ('weight', 'bias', 'running_mean', 'running_var',
          'num_batches_tracked')
    convs = ['stems.0', 'reg_convs.0.0', 'reg_convs.0.1']
    assert set(
        head.state_dict()) == {f'{c}.conv.weight'
                               for c in convs
                               } | {f'{c}.bn.{p}'
                                    for c in convs
                                    for p in bn} | {
                                        f'{pred}.0.{p}'
                                        for pred in ('reg_preds', 'obj_preds')
                                        for p in ('weight', 'bias')
                                    }


@pytest.mark.parametrize('index', range(len(CASES)))
def test_simota_positives_match_the_official(index):
    case = CASES[index]
    head = SimRECHead(in_channels=4, feat_channels=4)
    bbox_preds, objectness = _outputs([case])
    priors, boxes = head._decode(bbox_preds)
    gt = torch.tensor([case['gt_bbox']])
    gt_inds = head.assign(priors, boxes[0], objectness.flatten(), gt)
    positives = (gt_inds > 0).nonzero().flatten()
    assert positives.tolist() == case['pos_inds']
    ious = bbox_overlaps(boxes[0, positives], gt)[:, 0]
    assert torch.allclose(
        ious, torch.tensor(case['pos_ious']), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('index', range(len(CASES)))
def test_loss_matches_the_official(index):
    head = SimRECHead(in_channels=4, feat_channels=4)
    loss = _loss(head, [CASES[index]])
    assert torch.isclose(
        loss, torch.tensor(CASES[index]['loss']), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('batch', FIXTURE['batches'])
def test_batch_loss_is_divided_by_the_batch_positives(batch):
    head = SimRECHead(in_channels=4, feat_channels=4)
    cases = [CASES[i] for i in batch['cases']]
    loss = _loss(head, cases)
    assert torch.isclose(loss, torch.tensor(batch['loss']), rtol=1e-5)
    # not the mean of the per-sample losses
    per_sample = torch.stack([_loss(head, [case]) for case in cases])
    assert not torch.isclose(loss, per_sample.mean(), rtol=1e-3)


def _tiny_head_and_feats():
    torch.manual_seed(0)
    head = SimRECHead(in_channels=8, feat_channels=8)
    return head, dict(top=torch.randn(2, 8, 3, 4))


def test_loss_backward_on_tiny_inputs():
    head, feats = _tiny_head_and_feats()
    bbox_preds, objectness = head(feats)
    assert bbox_preds.shape == (2, 4, 3, 4)
    assert objectness.shape == (2, 1, 3, 4)
    gts, metas = [], []
    for i, box in enumerate([[10.0, 20.0, 60.0, 90.0], [70.0, 5.0, 90.0,
                                                        30.0]]):
        gt = InstanceData()
        gt.bboxes = torch.tensor([box, [0.0, 0.0, 5.0, 5.0]])
        gts.append(gt)
        metas.append(dict(batch_input_shape=(96, 128), img_path=f'{i}.jpg'))
    losses = head.loss_by_feat(
        bbox_preds, objectness, batch_gt_instances=gts, batch_img_metas=metas)
    assert set(losses) == {'loss_bbox', 'loss_obj'}
    for value in losses.values():
        assert torch.isfinite(value) and value > 0
    sum(losses.values()).backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_predict_takes_the_most_object_cell_and_maps_it_back():
    head = SimRECHead(in_channels=4, feat_channels=4)
    bbox_preds = torch.zeros(1, 4, 2, 3)
    objectness = torch.zeros(1, 1, 2, 3)
    objectness[0, 0, 1, 2] = 2.0  # cell (row 1, column 2) wins
    # centre ((2 + 0.5) * 32, (1 + 0.25) * 32) = (80, 40), size (32, 16)
    bbox_preds[0, :, 1, 2] = torch.tensor(
        [0.5, 0.25, 0.0, torch.log(torch.tensor(0.5))])
    meta = dict(
        batch_input_shape=(64, 96),
        img_shape=(64, 96),
        ori_shape=(32, 48),
        scale_factor=(2.0, 2.0),
        flip=True,
        flip_direction='horizontal')
    inp, = head.predict_by_feat(
        bbox_preds, objectness, batch_img_metas=[meta], rescale=False)
    assert torch.allclose(inp.bboxes, torch.tensor([[64.0, 32.0, 96.0, 48.0]]))
    assert torch.allclose(inp.scores, torch.sigmoid(torch.tensor([2.0])))
    ori, = head.predict_by_feat(
        bbox_preds, objectness, batch_img_metas=[meta], rescale=True)
    # unflipped: x -> 96 - x; then halved
    assert torch.allclose(ori.bboxes, torch.tensor([[0.0, 16.0, 16.0, 24.0]]))
    assert torch.equal(ori.scores, inp.scores)
    assert ori.labels.tolist() == [0]


def _sample(meta, gt):
    sample = VGDataSample(metainfo=meta)
    if gt is not None:
        sample.gt_instances = gt
    return sample


def test_sample_without_gt_box_names_the_record():
    head, feats = _tiny_head_and_feats()
    gt = InstanceData()
    gt.bboxes = torch.tensor([[0.0, 0.0, 50.0, 50.0]])
    metas = [
        dict(batch_input_shape=(96, 128), img_path='a.jpg', sent_id=1),
        dict(batch_input_shape=(96, 128), img_path='b.jpg', sent_id=7)
    ]
    with pytest.raises(ValueError, match="SimRECHead.*'b.jpg'.*sent_id=7"):
        head.loss(feats, [_sample(metas[0], gt), _sample(metas[1], None)])
