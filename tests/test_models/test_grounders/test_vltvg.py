# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch
from _vltvg_tiny import tiny_batch, tiny_vltvg_cfg
from mmengine.structures import InstanceData

from mmvg.registry import MODELS
from mmvg.utils import register_all_modules


@pytest.fixture(scope='module', autouse=True)
def _scope():
    register_all_modules()


def _model(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_vltvg_cfg(**kwargs))
    model.init_weights()
    return model


def test_loss_on_every_stage_and_backward():
    model = _model().train()
    data = model.data_preprocessor(tiny_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss_bbox', 'loss_iou', 'd0.loss_bbox', 'd0.loss_iou'
    }
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.bbox_head.reg_layers[0].weight.grad is not None
    assert model.verification.sigma.grad is not None
    assert model.text_encoder.bert.embeddings.word_embeddings.weight.grad \
        is not None
    # conv1 and layer1 are frozen, as in DETR; BN is frozen everywhere
    assert not model.backbone.conv1.weight.requires_grad
    assert model.backbone.layer4[0].conv1.weight.grad is not None
    assert not any('bn' in name
                   for name, _ in model.backbone.named_parameters())


def test_verification_loss_supervises_the_scores():
    cfg = tiny_vltvg_cfg()
    cfg['verification_loss'] = dict(type='BoxMapLoss', loss_weight=2.0)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    # eval: no dropout, so that the two passes below agree
    model.eval()
    data = model.data_preprocessor(tiny_batch(), True)
    losses = model(**data, mode='loss')
    assert 'loss_verify' in losses and 'loss_bbox' in losses

    # The same value from the scores themselves and the normalised boxes.
    _, _, score, hw_shape = model._forward_with_scores(**data)
    pad_h, pad_w = data['inputs'].shape[-2:]
    boxes = torch.stack(
        [s.gt_instances.bboxes[0] for s in data['data_samples']])
    boxes = boxes / boxes.new_tensor([pad_w, pad_h, pad_w, pad_h])
    expected = model.verification_loss(score[..., 0], boxes, hw_shape)
    assert torch.isclose(losses['loss_verify'], expected, atol=1e-6)

    # Only the verification branch (and what feeds it) gets its gradient.
    model.zero_grad()
    losses['loss_verify'].backward()
    assert model.verification.img_proj.weight.grad.abs().sum() > 0
    assert model.verification.sigma.grad is not None
    assert model.decoder.layers[0].img_attn.in_proj_weight.grad is None


def test_category_head_classifies_the_visual_features_under_the_box():
    cfg = tiny_vltvg_cfg()
    cfg['category_head'] = dict(
        type='CellCategoryHead',
        embed_dims=cfg['embed_dims'],
        num_classes=4,
        loss_weight=3.0)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    batch = tiny_batch()
    for label, sample in zip((1, 3), batch['data_samples']):
        sample.gt_instances.labels = torch.tensor([label])
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    assert 'loss_verify' not in losses

    _, img_feat, _, hw_shape = model._forward_with_scores(**data)
    pad_h, pad_w = data['inputs'].shape[-2:]
    boxes = torch.stack(
        [s.gt_instances.bboxes[0] for s in data['data_samples']])
    boxes = boxes / boxes.new_tensor([pad_w, pad_h, pad_w, pad_h])
    expected = model.category_head.loss(img_feat, boxes, torch.tensor([1, 3]),
                                        hw_shape)
    assert torch.isclose(losses['loss_category'], expected, atol=1e-6)

    # It trains the classifier and the visual path, not the decoder.
    model.zero_grad()
    losses['loss_category'].backward()
    assert model.category_head.classifier.weight.grad.abs().sum() > 0
    # (the residual branches start at zero, mmdet's zero_init_residual)
    assert model.input_proj.weight.grad.abs().sum() > 0
    assert model.backbone.layer4[0].downsample[0].weight.grad.abs().sum() > 0
    assert model.decoder.layers[0].img_attn.in_proj_weight.grad is None

    # A category id beyond the head's classes fails naming the fix.
    batch['data_samples'][0].gt_instances.labels = torch.tensor([4])
    with pytest.raises(ValueError, match='num_classes'):
        model(**model.data_preprocessor(batch, True), mode='loss')


def test_loss_in_bfloat16():
    # DeepSpeed's bf16/fp16 modes cast the weights (not the buffers) and
    # the image; float32 position encodings and tables must follow them
    model = _model().train()
    for param in model.parameters():
        param.data = param.data.to(torch.bfloat16)
    data = model.data_preprocessor(tiny_batch(), True)
    data['inputs'] = data['inputs'].to(torch.bfloat16)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(loss.float()) for loss in losses.values())


def test_predict_maps_boxes_to_original_image():
    model = _model().eval()
    data = model.data_preprocessor(tiny_batch(), False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    for sample in results:
        boxes = sample.pred_instances.bboxes
        assert boxes.shape == (1, 4)
        assert sample.pred_instances.scores.shape == (1, )
        ori_h, ori_w = sample.metainfo['ori_shape']
        assert (boxes[:, 0::2] <= ori_w).all()
        assert (boxes[:, 1::2] <= ori_h).all()
        assert (boxes >= 0).all()
        assert (boxes[:, 2:] >= boxes[:, :2]).all()


def test_predict_is_consistent_with_head_output():
    model = _model().eval()
    data = model.data_preprocessor(tiny_batch(), False)
    with torch.no_grad():
        hidden = model(**data, mode='tensor')
        boxes = model.bbox_head(hidden)[-1]  # (N, 1, 4) cxcywh in [0, 1]
        results = model(**data, mode='predict')
    pad_h, pad_w = data['inputs'].shape[-2:]
    cx, cy, w, h = boxes[0, 0].tolist()
    expected = torch.tensor([(cx - w / 2) * pad_w, (cy - h / 2) * pad_h,
                             (cx + w / 2) * pad_w, (cy + h / 2) * pad_h])
    img_h, img_w = results[0].metainfo['img_shape']
    expected[0::2] = expected[0::2].clamp(0, img_w)
    expected[1::2] = expected[1::2].clamp(0, img_h)
    assert torch.allclose(
        results[0].pred_instances.bboxes[0], expected * 2, atol=1e-4)


def test_masked_padding_variant_runs():
    model = _model(mask_padding=True).eval()
    data = model.data_preprocessor(tiny_batch(), False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert torch.isfinite(results[0].pred_instances.bboxes).all()


def test_long_expression_is_truncated():
    model = _model().eval()
    # 40 tokens > the tiny BERT's 16 positions
    data = model.data_preprocessor(tiny_batch(num_tokens=(40, 3)), False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert torch.isfinite(results[0].pred_instances.bboxes).all()


def test_image_smaller_than_stride_predicts():
    model = _model().eval()
    data = model.data_preprocessor(
        tiny_batch(sizes=((10, 7), ), num_tokens=(4, )), False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert torch.isfinite(results[0].pred_instances.bboxes).all()


def test_missing_gt_box_names_the_sample():
    model = _model().train()
    batch = tiny_batch()
    empty = InstanceData()
    empty.bboxes = torch.zeros(0, 4)
    batch['data_samples'][0].gt_instances = empty
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match='synthetic.jpg'):
        model(**data, mode='loss')
