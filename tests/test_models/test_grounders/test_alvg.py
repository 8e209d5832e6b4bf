# Copyright (c) mmvg contributors. All rights reserved.
import copy

import pytest
import torch

from mmvg.registry import MODELS
from mmvg.testing import demo_vg_inputs, tiny_alvg_head_cfg
from mmvg.utils import register_all_modules

register_all_modules()
DIMS = 64


def tiny_alvg_cfg(**head_kwargs) -> dict:
    head = tiny_alvg_head_cfg(DIMS)
    head.update(head_kwargs)
    return dict(
        type='ALVG',
        backbone=dict(
            type='BEiT3',
            embed_dims=DIMS,
            num_layers=2,
            num_heads=4,
            ffn_dims=2 * DIMS,
            img_size=64,
            patch_size=16,
            vocab_size=100),
        head=head,
        data_preprocessor=dict(
            type='VGDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_size_divisor=32))


def tiny_batch(sizes=((64, 64), (48, 64)), num_tokens=(5, 8), **kwargs):
    """Images with one box (and mask) each; token ids padded to 8 with
    attention_mask 0 on the padding."""
    batch = demo_vg_inputs(
        batch_size=len(sizes),
        image_shapes=sizes,
        scale_factor=(0.5, 0.5),
        **kwargs)
    for sample, length in zip(batch['data_samples'], num_tokens):
        sample.tokens = dict(
            input_ids=torch.randint(1, 100, (8, )),
            attention_mask=(torch.arange(8) < length).long())
    return batch


def _model(**head_kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_alvg_cfg(**head_kwargs))
    model.init_weights()
    return model


def test_rec_res_loss_and_backward():
    model = _model().train()
    data = model.data_preprocessor(tiny_batch(with_mask=True), True)
    losses = model(**data, mode='loss')
    assert {
        'loss_cls', 'd0.loss_bbox', 'loss_mask', 'loss_score_attn',
        'loss_decoder_attn'
    } <= set(losses)
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    assert model.backbone.vision_embed.proj.weight.grad.abs().sum() > 0
    assert model.backbone.text_embed.weight.grad.abs().sum() > 0


def test_text_padding_reaches_the_head_as_true_on_padding():
    model = _model().eval()
    data = model.data_preprocessor(tiny_batch(), False)
    feats = model.extract_feat(**data)
    assert feats['text_mask'].tolist()[0] == [False] * 5 + [True] * 3
    # The second image (48 rows) is padded to 64: its last row of 16x16
    # patches is padding.
    assert feats['img_mask'].shape == (2, 4, 4)
    assert feats['img_mask'][1, -1].all() and not feats['img_mask'][0].any()


def test_tensor_and_predict_modes():
    model = _model().eval()
    data = model.data_preprocessor(tiny_batch(with_mask=True), False)
    with torch.no_grad():
        outs = model(**copy.deepcopy(data), mode='tensor')
        results = model(**data, mode='predict')
    assert len(outs) == 5 and outs[1].shape == (3, 2, 1, 4)
    for result in results:
        pred = result.pred_instances
        ori_h, ori_w = result.metainfo['ori_shape']
        assert pred.bboxes.shape == (1, 4)
        assert pred.masks.shape == (1, ori_h, ori_w)
        assert torch.isfinite(pred.bboxes).all()


def test_box_only_model_predicts_no_mask():
    model = _model(with_mask=False).eval()
    data = model.data_preprocessor(tiny_batch(), False)
    with torch.no_grad():
        results = model.predict(**data, with_heatmaps=True)
    assert 'masks' not in results[0].pred_instances
    heatmap = results[0].pred_heatmaps['relevance']
    assert heatmap.shape == (4, 4)
    assert 0 < heatmap.min() <= heatmap.max() < 1


def test_grefcoco_no_target_trains_and_predicts_empty():
    model = _model(
        num_queries=10,
        score_thr=0.7,
        score_attn_loss_weight=0.0,
        decoder_attn_loss_weight=0.0).train()
    batch = tiny_batch(with_mask=True)
    gt = batch['data_samples'][0].gt_instances
    batch['data_samples'][0].gt_instances = gt[torch.zeros(
        len(gt), dtype=torch.bool)]
    data = model.data_preprocessor(batch, True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()

    model.eval()
    with torch.no_grad():
        model.head.cls_branch.bias.copy_(torch.tensor([-20.0, 20.0]))
        results = model(
            **model.data_preprocessor(batch, False), mode='predict')
    assert all(len(r.pred_instances) == 0 for r in results)


def test_mask_less_sample_names_the_record():
    model = _model().train()
    data = model.data_preprocessor(tiny_batch(with_mask=False), True)
    with pytest.raises(ValueError, match='demo_0.jpg'):
        model(**data, mode='loss')
