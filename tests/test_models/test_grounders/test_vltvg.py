# Copyright (c) mmvg contributors. All rights reserved.
import copy
import json

import pytest
import torch

from mmvg.registry import MODELS
from mmvg.testing import demo_vg_inputs, get_grounder_cfg
from mmvg.utils import register_all_modules

register_all_modules()
WORDS = ['PAD', 'UNK', 'CLS', 'the', 'red', 'circle', 'on', 'left', 'blue']


def tiny_vltvg_cfg(**kwargs):
    """The quick start's VLTVG; the tests give the tokens themselves."""
    cfg = get_grounder_cfg('_base_/models/vltvg_r18-tiny.py')
    cfg.data_preprocessor.tokenizer = None
    cfg.update(kwargs)
    return cfg


def tiny_batch(sizes=((64, 48), (40, 64)), num_tokens=(5, 8)) -> dict:
    """Images (h, w) with one box each and random token ids."""
    batch = demo_vg_inputs(
        batch_size=len(sizes), image_shapes=sizes, scale_factor=(0.5, 0.5))
    for sample, length in zip(batch['data_samples'], num_tokens):
        sample.tokens = dict(
            input_ids=torch.randint(1, 32, (length, )),
            attention_mask=torch.ones(length, dtype=torch.long))
    return batch


def _model(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_vltvg_cfg(**kwargs))
    model.init_weights()
    return model


def test_loss_of_every_stage_and_aux_head_and_backward():
    model = _model().train()
    batch = tiny_batch()
    for label, sample in zip((1, 3), batch['data_samples']):
        sample.gt_instances.labels = torch.tensor([label])
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    stages = [''] + [f'd{i}.' for i in range(5)]
    assert set(losses) == {
        f'{stage}loss_{kind}'
        for stage in stages
        for kind in ('bbox', 'iou')
    } | {'verify.loss_map', 'category.loss_cls'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.head.reg_layers[0].weight.grad is not None
    assert model.aux_heads.category.classifier.weight.grad is not None
    assert model.verification.sigma.grad is not None
    assert model.text_encoder.bert.embeddings.word_embeddings.weight.grad \
        is not None


def test_aux_heads_read_the_grounder_features():
    model = _model().eval()  # no dropout: the passes below agree
    batch = tiny_batch()
    for label, sample in zip((1, 3), batch['data_samples']):
        sample.gt_instances.labels = torch.tensor([label])
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    feats = model.extract_feat(**data)
    for name in ('verify', 'category'):
        for key, value in model.aux_heads[name].loss(
                feats, data['data_samples']).items():
            assert torch.isclose(losses[f'{name}.{key}'], value, atol=1e-6)

    # The map loss trains the verification branch, not the decoder.
    model.zero_grad()
    losses['verify.loss_map'].backward()
    assert model.verification.img_proj.weight.grad.abs().sum() > 0
    assert model.decoder.layers[0].img_attn.in_proj_weight.grad is None

    # A category id beyond the head's classes fails naming the fix.
    batch['data_samples'][0].gt_instances.labels = torch.tensor([5])
    with pytest.raises(ValueError, match='num_classes'):
        model(**model.data_preprocessor(batch, True), mode='loss')


def test_paper_model_has_no_aux_heads():
    model = _model(aux_heads=None).train()
    data = model.data_preprocessor(tiny_batch(), True)
    losses = model(**data, mode='loss')
    assert not any('.' in k and not k.startswith('d') for k in losses)
    assert len(model.aux_heads) == 0


def test_loss_in_bfloat16():
    # DeepSpeed's bf16/fp16 modes cast the weights (not the buffers) and
    # the image; float32 position encodings and tables must follow them.
    # The backbone's BN is frozen, as in the paper configs.
    cfg = tiny_vltvg_cfg(aux_heads=None)
    cfg.backbone.update(norm_cfg=dict(type='FrozenBN'), norm_eval=True)
    model = MODELS.build(cfg).train()
    for param in model.parameters():
        param.data = param.data.to(torch.bfloat16)
    data = model.data_preprocessor(tiny_batch(), True)
    data['inputs'] = data['inputs'].to(torch.bfloat16)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(loss.float()) for loss in losses.values())


def test_tensor_mode_returns_the_head_outputs():
    model = _model().eval()
    data = model.data_preprocessor(tiny_batch(), False)
    with torch.no_grad():
        outs = model(**data, mode='tensor')
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (6, 2, 1, 4)  # stages, batch, queries, cxcywh


def test_predict_is_the_last_stage_mapped_to_the_original_image():
    model = _model().eval()
    data = model.data_preprocessor(tiny_batch(), False)
    with torch.no_grad():
        boxes = model(**copy.deepcopy(data), mode='tensor')[0][-1]
        results = model(**data, mode='predict')
    pad_h, pad_w = data['inputs'].shape[-2:]
    for result, box in zip(results, boxes):
        cx, cy, w, h = box[0].tolist()
        expected = torch.tensor([(cx - w / 2) * pad_w, (cy - h / 2) * pad_h,
                                 (cx + w / 2) * pad_w, (cy + h / 2) * pad_h])
        img_h, img_w = result.metainfo['img_shape']
        expected[0::2] = expected[0::2].clamp(0, img_w)
        expected[1::2] = expected[1::2].clamp(0, img_h)
        pred = result.pred_instances
        assert pred.bboxes.shape == (1, 4) and pred.scores.shape == (1, )
        assert torch.allclose(pred.bboxes[0], expected * 2, atol=1e-4)


def test_masked_padding_variant_runs():
    model = _model(mask_padding=True).eval()
    data = model.data_preprocessor(tiny_batch(), False)
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


def test_text_path_from_text_to_prediction(tmp_path):
    vocab = tmp_path / 'vocab.json'
    vocab.write_text(json.dumps({w: i for i, w in enumerate(WORDS)}))
    cfg = tiny_vltvg_cfg()
    cfg.data_preprocessor.tokenizer = dict(
        type='WordVocabTokenizer', vocab_file=str(vocab), max_length=15)
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    long_text = ' '.join(['the red circle on the left'] * 5)  # 30 words
    batch = demo_vg_inputs(texts=(long_text, 'blue'))
    data = model.data_preprocessor(batch, False)
    # cut once, by the tokenizer, to its max_length
    assert data['data_samples'][0].tokens['input_ids'].shape == (15, )
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert results[0].ori_text == long_text
    assert torch.isfinite(results[0].pred_instances.bboxes).all()


def test_missing_gt_box_names_the_sample():
    model = _model().train()
    batch = tiny_batch()
    gt = batch['data_samples'][0].gt_instances
    batch['data_samples'][0].gt_instances = gt[torch.zeros(
        len(gt), dtype=torch.bool)]
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match='demo_0.jpg'):
        model(**data, mode='loss')


def test_fused_attention_matches_the_attention_weights_path(monkeypatch):
    """The attention layers skip their weights (``need_weights=False``),
    which lets PyTorch take its fused SDPA kernel; outputs, losses and
    gradients stay within 1e-5 of the path that computes the weights."""

    def run(model):
        model.zero_grad()
        data = model.data_preprocessor(tiny_batch(num_tokens=(3, 8)), True)
        losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        loss.backward()
        with torch.no_grad():
            outs = model(
                **model.data_preprocessor(tiny_batch(), False), mode='tensor')
        grads = [
            p.grad.clone() for p in model.parameters() if p.grad is not None
        ]
        return loss.detach(), outs, grads

    model = _model(aux_heads=None).train()
    torch.manual_seed(1)
    fused = run(model)
    forward = torch.nn.MultiheadAttention.forward
    calls = []

    def with_weights(self, *args, **kwargs):
        calls.append(kwargs.get('need_weights'))
        kwargs['need_weights'] = True
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.MultiheadAttention, 'forward', with_weights)
    torch.manual_seed(1)
    reference = run(model)
    # 14 per forward in mmvg's layers (verification, context, 6 decoder
    # stages x 2); the visual encoder's mmcv attention is not mmvg's.
    assert calls.count(False) >= 14
    torch.testing.assert_close(fused, reference, atol=1e-5, rtol=0)
