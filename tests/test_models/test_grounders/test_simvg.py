# Copyright (c) mmvg contributors. All rights reserved.
import torch
from test_alvg import DIMS, tiny_alvg_cfg, tiny_batch

from mmvg.registry import MODELS
from mmvg.testing import tiny_simvg_head_cfg
from mmvg.utils import register_all_modules

register_all_modules()


def _model(**head_kwargs):
    cfg = tiny_alvg_cfg()
    head = tiny_simvg_head_cfg(DIMS)
    head.update(head_kwargs)
    cfg.update(type='SimVG', head=head)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_one_stage_trains_encoder_and_both_branches():
    model = _model().train()
    data = model.data_preprocessor(tiny_batch(), True)
    losses = model(**data, mode='loss')
    assert {'loss_iou', 'token.loss_iou', 'distill.loss_iou'} <= set(losses)
    loss, log = model.parse_losses(losses)
    assert 'distill_weight' in log
    loss.backward()
    assert model.backbone.vision_embed.proj.weight.grad.abs().sum() > 0
    # The class token reaches the head only through the token branch.
    assert model.head.input_cls_proj.weight.grad.abs().sum() > 0


def test_both_branches_predict_in_the_original_frame():
    batch = tiny_batch()
    for branch in ('decoder', 'token'):
        model = _model(predict_branch=branch).eval()
        data = model.data_preprocessor(batch, False)
        with torch.no_grad():
            results = model(**data, mode='predict')
        for sample in results:
            boxes = sample.pred_instances.bboxes
            assert boxes.shape == (1, 4)
            assert (boxes[:, 2:] >= boxes[:, :2]).all()
            assert (boxes[:, 0::2] <= sample.ori_shape[1]).all()
        assert model.heatmaps(model.extract_feat(**data)) == {}
