# Copyright (c) mmvg contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvg.models.layers.lavt_pwam import LAVTPWAM
from mmvg.registry import MODELS
from mmvg.structures import VGDataSample
from mmvg.testing import get_grounder_cfg
from mmvg.utils import register_all_modules

register_all_modules()


def tiny_lavt(model_type='LAVT', **head_kwargs):
    """The quick start's LAVT; the tests give the tokens themselves."""
    cfg = get_grounder_cfg('_base_/models/lavt_swin-tiny.py')
    cfg.type = model_type
    cfg.data_preprocessor.tokenizer = None
    cfg.head.update(head_kwargs)
    return cfg


def gt_masks(masks):
    """Ground truth and metainfo of a batch of (H, W) bool masks."""
    batch_gt_instances = []
    for mask in masks:
        gt = InstanceData()
        gt.masks = mask[None]
        batch_gt_instances.append(gt)
    return dict(
        batch_gt_instances=batch_gt_instances,
        batch_img_metas=[dict(img_path='a.jpg')] * len(masks))


def make_sample(seed,
                size=(64, 64),
                ori=(50, 70),
                num_tokens=6,
                with_mask=True):
    rng = np.random.RandomState(seed)
    h, w = size
    sample = VGDataSample(
        metainfo=dict(
            text=f'expression {seed}',
            img_path=f'img_{seed}.jpg',
            ref_id=seed,
            sent_id=100 + seed,
            ori_shape=ori,
            img_shape=size,
            scale_factor=(w / ori[1], h / ori[0]),
            flip=False))
    ids = torch.as_tensor(rng.randint(1, 50, num_tokens), dtype=torch.long)
    sample.tokens = dict(input_ids=ids, attention_mask=torch.ones_like(ids))
    gt = InstanceData()
    gt.bboxes = torch.tensor([[8., 8., 40., 40.]])
    gt.labels = torch.zeros(1, dtype=torch.long)
    if with_mask:
        mask = np.zeros((1, h, w), dtype=np.uint8)
        mask[0, 8:40, 8:40] = 1
        gt.masks = BitmapMasks(mask, h, w)
    sample.gt_instances = gt
    return sample


def batch(model, samples, training):
    inputs = [
        torch.randint(
            0, 255, (3, *s.metainfo['img_shape']), dtype=torch.uint8)
        for s in samples
    ]
    return model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), training)


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    lavt = MODELS.build(tiny_lavt())
    lavt.init_weights()
    return lavt


def test_pwam_ignores_padded_words():
    torch.manual_seed(0)
    pwam = LAVTPWAM(channels=8, lang_channels=6, num_heads=2).eval()
    visual = torch.randn(2, 10, 8)
    lang = torch.randn(2, 5, 6)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out = pwam(visual, lang, mask)
    assert out.shape == (2, 10, 8)
    changed = lang.clone()
    changed[0, 3:] = 100.
    assert torch.allclose(pwam(visual, changed, mask)[0], out[0])
    assert not torch.allclose(pwam(visual, changed, mask * 0 + 1)[0], out[0])


def test_loss_and_backward(model):
    model.train()
    data = batch(model, [make_sample(0), make_sample(1)], True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_ce', 'loss_dice'}
    assert all(torch.isfinite(loss) for loss in losses.values())
    model.zero_grad()
    sum(losses.values()).backward()
    for name in ('backbone.pwams.0.attn.query_proj.weight',
                 'backbone.lang_gates.2.2.weight',
                 'backbone.stages.0.blocks.0.attn.w_msa.qkv.weight',
                 'head.conv_seg.weight',
                 'text_encoder.bert.encoder.layer.0.output.dense.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    # As in LAVT, the last stage's gated stream feeds nothing: its gate is
    # unused (the official code trains with find_unused_parameters=True).
    gate = dict(model.named_parameters())['backbone.lang_gates.3.0.weight']
    assert gate.grad is None


def test_ce_loss_is_lavts_weighted_mean(model):
    head = model.head
    logits = torch.randn(2, 2, 8, 8)
    gt = torch.rand(2, 8, 8) > 0.5
    expected = F.cross_entropy(
        logits, gt.long(), weight=torch.tensor([0.9, 1.1]))
    loss = head.loss_by_feat(logits, **gt_masks(gt))['loss_ce']
    assert torch.allclose(loss, expected, atol=1e-6)


def test_dice_option():
    torch.manual_seed(0)
    dice = dict(
        type='DiceLoss',
        use_sigmoid=True,
        activate=False,
        naive_dice=True,
        loss_weight=1.0)
    lavt = MODELS.build(tiny_lavt('LAVTOne', loss_ce=None, loss_dice=dice))
    head = lavt.head
    gt = torch.zeros(1, 8, 8, dtype=torch.bool)
    gt[0, :4] = True
    perfect = torch.stack([~gt, gt], dim=1).float() * 40 - 20
    assert set(head.loss_by_feat(perfect, **gt_masks(gt))) == {'loss_dice'}
    assert head.loss_by_feat(perfect, **gt_masks(gt))['loss_dice'] < 1e-3
    assert head.loss_by_feat(-perfect, **gt_masks(gt))['loss_dice'] > 0.9
    data = batch(lavt, [make_sample(0)], True)
    loss = lavt(**data, mode='loss')['loss_dice']
    loss.backward()
    assert torch.isfinite(loss)


def test_predict_maps_masks_back(model):
    model.eval()
    samples = [make_sample(0, ori=(50, 70)), make_sample(1, ori=(90, 40))]
    data = batch(model, samples, False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    for result, ori in zip(results, [(50, 70), (90, 40)]):
        pred = result.pred_instances
        assert pred.masks.shape == (1, *ori) and pred.masks.dtype == torch.bool
        assert pred.input_masks.shape == (1, 64, 64)
        assert pred.bboxes.shape == (1, 4) and pred.scores.shape == (1, )
        if pred.masks.any():
            ys, xs = torch.nonzero(pred.masks[0], as_tuple=True)
            assert pred.bboxes[0].tolist() == [
                xs.min().item(),
                ys.min().item(),
                xs.max().item() + 1,
                ys.max().item() + 1
            ]


def test_predict_undoes_flip_in_original_frame(model):
    model.eval()
    sample = make_sample(3, ori=(64, 64))
    data = batch(model, [sample], False)
    with torch.no_grad():
        plain = model(**copy.deepcopy(data), mode='predict')[0]
        data['data_samples'][0].set_metainfo(
            dict(flip=True, flip_direction='horizontal'))
        flipped = model(**data, mode='predict')[0]
    assert torch.equal(flipped.pred_instances.input_masks,
                       plain.pred_instances.input_masks)
    assert torch.equal(flipped.pred_instances.masks,
                       plain.pred_instances.masks.flip(-1))


def test_sample_without_mask_names_the_record(model):
    model.train()
    data = batch(
        model,
        [make_sample(0), make_sample(7, with_mask=False)], True)
    with pytest.raises(
            ValueError, match='gt_instances.masks.*img_7.jpg.*sent_id=107'):
        model(**data, mode='loss')


def test_tensor_mode_returns_the_head_outputs(model):
    model.eval()
    data = batch(model, [make_sample(0), make_sample(1)], False)
    with torch.no_grad():
        outs = model(**data, mode='tensor')
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (2, 2, 64, 64)


def test_text_longer_than_the_encoder_names_the_one_cut(model):
    model.eval()
    # 35 tokens > the tiny BERT's 16 positions: the tokenizer should have
    # cut them, and the encoder says so instead of cutting a second time
    data = batch(model, [make_sample(4, num_tokens=35)], False)
    with pytest.raises(ValueError, match='tokenizer'):
        model(**data, mode='tensor')


def test_backbone_refuses_other_window_size(tmp_path):
    cfg = tiny_lavt()['backbone']
    other = MODELS.build(dict(cfg, window_size=2))
    ckpt = tmp_path / 'swin_window2.pth'
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in other.state_dict().items()
        }), ckpt)
    backbone = MODELS.build(
        dict(cfg, init_cfg=dict(type='Pretrained', checkpoint=str(ckpt))))
    with pytest.raises(ValueError, match='window size 2.*window size 4'):
        backbone.init_weights()


def test_backbone_loads_pretrained_swin(tmp_path):
    cfg = tiny_lavt()['backbone']
    torch.manual_seed(1)
    source = MODELS.build(cfg)
    source.init_weights()
    swin_only = {
        f'backbone.{k}': v
        for k, v in source.state_dict().items()
        if not k.startswith(('pwams', 'lang_gates'))
    }
    ckpt = tmp_path / 'swin.pth'
    torch.save(dict(state_dict=swin_only), ckpt)
    backbone = MODELS.build(
        dict(cfg, init_cfg=dict(type='Pretrained', checkpoint=str(ckpt))))
    backbone.init_weights()
    loaded = backbone.state_dict()
    for key, value in swin_only.items():
        assert torch.equal(loaded[key[len('backbone.'):]], value), key


def test_init_follows_lavt():
    torch.manual_seed(0)
    lavt = MODELS.build(tiny_lavt())
    lavt.init_weights()
    swin_fc = lavt.backbone.stages[0].blocks[0].ffn.layers[1].weight
    gate = lavt.backbone.lang_gates[0][0].weight
    for weight in (swin_fc, gate):  # truncated normal, std 0.02
        assert 0.015 < weight.std() < 0.025
    # PWAM and decoder keep PyTorch's default (uniform) initialisation.
    pwam = lavt.backbone.pwams[1].vis_proj.weight
    assert pwam.abs().max() <= 32**-0.5 + 1e-6
    assert pwam.std() > 0.08
    conv = lavt.head.fuse_layers[0][0].conv.weight
    assert conv.abs().max() <= (conv[0].numel())**-0.5 + 1e-6
