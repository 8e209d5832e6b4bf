# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from test_alvg_head import IN_DIMS, feats, samples

from mmvg.registry import MODELS
from mmvg.testing import tiny_simvg_head_cfg
from mmvg.utils import register_all_modules

register_all_modules()
DIMS = 32
DECODER_KEYS = {
    f'{prefix}{name}'
    for prefix in ('', 'd0.', 'd1.')
    for name in ('loss_cls', 'loss_bbox', 'loss_iou')
}
TOKEN_MODULES = ('input_cls_proj', 'token_mlp', 'cls_token_branch',
                 'reg_token_branch')


def build_head(**kwargs):
    torch.manual_seed(0)
    cfg = tiny_simvg_head_cfg(IN_DIMS, DIMS)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def test_one_stage_balances_gt_and_distillation():
    head = build_head().train()
    data = samples(with_mask=False)
    outs = head(feats())
    assert all(isinstance(out, torch.Tensor) for out in outs)
    losses = head.loss_by_feat(
        *outs,
        batch_gt_instances=[s.gt_instances for s in data],
        batch_img_metas=[s.metainfo for s in data])
    assert set(losses) == DECODER_KEYS | {
        f'{branch}.{name}'
        for branch in ('token', 'distill')
        for name in ('loss_cls', 'loss_bbox', 'loss_iou')
    } | {'distill_weight'}
    # w: the mean of the DB's object probability times IoU (1 query: the
    # query is matched to the one gt box).
    cls_scores, bbox_preds, token_cls, token_boxes = outs
    gt_boxes, num_boxes = head.normalized_gt_boxes(
        [s.gt_instances for s in data], [s.metainfo for s in data],
        torch.device('cpu'))
    teacher = bbox_cxcywh_to_xyxy(bbox_preds[-1, :, 0])
    quality = cls_scores[-1, :, 0].softmax(-1)[:, 0] * bbox_overlaps(
        teacher, torch.cat(gt_boxes), is_aligned=True)
    w = quality.mean()
    assert torch.allclose(losses['distill_weight'], w)
    _, plain = head.set_losses(token_cls, token_boxes, gt_boxes, num_boxes)
    _, distill = head.set_losses(token_cls, token_boxes,
                                 [b[None] for b in teacher.detach()], 2)
    for name in ('loss_cls', 'loss_bbox', 'loss_iou'):
        assert torch.allclose(losses[f'token.{name}'],
                              plain[name] * 2 * (1 - w))
        assert torch.allclose(losses[f'distill.{name}'], distill[name] * w)
    # The teacher is detached: distillation trains the TB only.
    losses['distill.loss_bbox'].backward()
    assert head.cls_branch.weight.grad is None
    assert head.token_mlp.layers[0].weight.grad.abs().sum() > 0


def test_first_stage_trains_the_decoder_branch_alone():
    weights = dict(decoder=1., token=0., distill=0.)
    head = build_head(branch_loss_weights=weights).train()
    outs = head(feats())
    assert outs[2] is None and outs[3] is None
    losses = head.loss(feats(), samples(with_mask=False))
    assert set(losses) == DECODER_KEYS
    for name in TOKEN_MODULES:
        assert not any(
            p.requires_grad for p in getattr(head, name).parameters())
    with pytest.raises(ValueError, match='trained token branch'):
        build_head(branch_loss_weights=weights, predict_branch='token')


def test_token_branch_predicts_without_the_decoder():
    head = build_head(predict_branch='token').eval()

    def no_decoder(*args, **kwargs):
        raise AssertionError('the decoder ran')

    head.decoder.forward = no_decoder
    data = samples(with_mask=False)
    with torch.no_grad():
        cls_scores, bbox_preds, token_cls, token_boxes = head(feats())
        results = head.predict(feats(), data, rescale=False)
    assert cls_scores is None and bbox_preds is None
    for i, result in enumerate(results):
        assert torch.allclose(result.scores, token_cls[i, :,
                                                       0:2].softmax(-1)[:, 0])
        assert torch.allclose(result.bboxes,
                              bbox_cxcywh_to_xyxy(token_boxes[i]) * 64)


def test_decoder_branch_predicts_its_last_layer():
    head = build_head().eval()
    data = samples(with_mask=False)
    with torch.no_grad():
        cls_scores, bbox_preds, token_cls, _ = head(feats())
        results = head.predict(feats(), data, rescale=False)
    assert token_cls is None
    for i, result in enumerate(results):
        assert torch.allclose(result.bboxes,
                              bbox_cxcywh_to_xyxy(bbox_preds[-1, i]) * 64)


def test_no_target_and_bad_arguments():
    head = build_head(num_queries=3, score_thr=0.5).train()
    losses = head.loss(feats(), samples(with_mask=False, no_target=(0, 1)))
    # No target anywhere: no teacher box, so no distillation.
    assert losses['distill_weight'] == 0
    assert all(torch.isfinite(v) for v in losses.values())
    with pytest.raises(ValueError, match="not \\['merge'\\]"):
        build_head(branch_loss_weights=dict(decoder=1., merge=1.))
    with pytest.raises(ValueError, match='predict_branch'):
        build_head(predict_branch='both')
