# Copyright (c) mmvg contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmvg.registry import MODELS
from mmvg.testing import demo_vg_inputs, get_grounder_cfg
from mmvg.utils import register_all_modules

register_all_modules()
# The tiny config's anchors (w, h) in input pixels, at stride 16.
ANCHORS = torch.tensor([[12., 12.], [18., 18.], [26., 26.]])
# Parameters that the losses do not reach, as in the official MCN (which
# trains with find_unused_parameters=True): the pyramid's stride-16 output
# feeds nothing, and the GARAN map convs only draw the heat maps (the
# consistency energy weighs the attentions with the head's own convs).
UNUSED = {
    'neck.mid_proj.conv.weight', 'neck.mid_proj.batch_norm.weight',
    'neck.mid_proj.batch_norm.bias', 'det_attention.w_m.weight',
    'det_attention.w_m.bias', 'seg_attention.w_m.weight',
    'seg_attention.w_m.bias'
}


@pytest.fixture(scope='module')
def model(word_vocab_file):
    """The quick start's MCN, reading the test's vocabulary."""
    cfg = get_grounder_cfg('_base_/models/mcn_darknet53-tiny.py')
    cfg.data_preprocessor.tokenizer.vocab_file = word_vocab_file
    cfg.text_encoder.vocab_file = word_vocab_file
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_loss_and_backward_reach_every_used_parameter(model):
    model.train()  # batch 2: the ASPP's global branch normalises a 1x1 map
    data = model.data_preprocessor(demo_vg_inputs(with_mask=True), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss_xy', 'loss_wh', 'loss_obj', 'loss_seg', 'loss_cem',
        'category.loss_cls'
    }
    assert all(torch.isfinite(loss) and loss > 0 for loss in losses.values())
    model.zero_grad()
    sum(losses.values()).backward()
    # Parameters outside the loss's graph get no gradient at all; others
    # may get an exact zero (a bias before BatchNorm or a softmax).
    no_grad = {
        name
        for name, param in model.named_parameters()
        if param.requires_grad and param.grad is None
    }
    assert no_grad == UNUSED


def test_tensor_mode_returns_the_head_outputs(model):
    model.eval()
    data = model.data_preprocessor(
        demo_vg_inputs(image_shapes=((64, 96), )), False)
    with torch.no_grad():
        outs = model(**data, mode='tensor')
    assert isinstance(outs, tuple) and len(outs) == 2
    box_outs, mask_logits = outs
    assert box_outs.shape == (2, 3, 4, 6, 5)  # anchors, h, w, box + obj
    assert mask_logits.shape == (2, 1, 64, 96)  # x4 of the stride-4 map


def test_predict_maps_box_and_mask_to_the_original_image(
        model, letterboxed_batch):
    model = copy.deepcopy(model).eval()
    data = model.data_preprocessor(letterboxed_batch, False)
    # Random mask logits sit near 0 everywhere: spread them around the
    # threshold so that the masks have edges to check.
    out_proj = model.head.sconv[0].out_proj
    with torch.no_grad():
        out_proj.weight.mul_(1000)
        _, mask_logits = model(**copy.deepcopy(data), mode='tensor')
        out_proj.bias.sub_(mask_logits.median() - np.log(0.35 / 0.65))
        box_outs, mask_logits = model(**copy.deepcopy(data), mode='tensor')
        results = model(**data, mode='predict')
    grid_w = box_outs.size(3)
    for i, result in enumerate(results):
        best = box_outs[i, ..., 4].flatten().argmax()
        anchor, cell = divmod(int(best), box_outs[i, 0, ..., 4].numel())
        row, col = divmod(cell, grid_w)
        tx, ty, tw, th, _ = box_outs[i, anchor, row, col]
        cx, cy = (col + tx.sigmoid()) * 16, (row + ty.sigmoid()) * 16
        w, h = ANCHORS[anchor] * torch.stack([tw, th]).exp()
        box = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        top, _, left, _ = (int(v) for v in result.metainfo['pad_param'])
        img_h, img_w = result.metainfo['img_shape']
        # drop the padding, clip to the image, undo the x2 resize
        box -= torch.tensor([left, top, left, top])
        box[0::2] = box[0::2].clamp(0, img_w)
        box[1::2] = box[1::2].clamp(0, img_h)
        pred = result.pred_instances
        assert pred.bboxes.shape == (1, 4) and pred.scores.shape == (1, )
        torch.testing.assert_close(pred.bboxes[0], box * 2, atol=1e-3, rtol=0)

        # masks: probabilities of the image window, thresholded at 0.35 in
        # the input frame and after resizing to the original image
        probs = mask_logits[i, :, top:top + img_h, left:left + img_w].sigmoid()
        assert pred.input_masks.shape == (1, img_h, img_w)
        assert 0.1 < (probs > 0.35).float().mean() < 0.9
        assert torch.equal(pred.input_masks, probs > 0.35)
        ori = F.interpolate(
            probs[None], size=(img_h * 2, img_w * 2), mode='bilinear')[0]
        assert pred.masks.shape == (1, img_h * 2, img_w * 2)
        assert pred.masks.dtype == torch.bool
        assert torch.equal(pred.masks, ori > 0.35)


def test_predict_shared_equals_predict_on_repeated_images(model):
    model.eval()
    assert model.shares_visual_feat
    data = model.data_preprocessor(
        demo_vg_inputs(batch_size=3, image_shapes=((64, 96), )), False)
    image_index = [1, 0, 1]
    images = data['inputs'][:2]
    with torch.no_grad():
        shared = model.predict_shared(
            images,
            copy.deepcopy(data['data_samples']),
            image_index,
            with_heatmaps=True)
        full = model.predict(
            images[image_index],
            copy.deepcopy(data['data_samples']),
            with_heatmaps=True)
    for one, other in zip(shared, full):
        for key in ('bboxes', 'scores', 'masks'):
            torch.testing.assert_close(one.pred_instances[key],
                                       other.pred_instances[key])
        for key in ('det_attention', 'seg_attention'):
            torch.testing.assert_close(one.pred_heatmaps[key],
                                       other.pred_heatmaps[key])
    # the two expressions about image 1 differ
    assert not torch.equal(shared[0].pred_heatmaps['det_attention'],
                           shared[2].pred_heatmaps['det_attention'])


def test_heatmaps_are_the_garan_maps_on_their_grids(model):
    model.eval()
    data = model.data_preprocessor(
        demo_vg_inputs(image_shapes=((64, 96), )), False)
    with torch.no_grad():
        feats = model.extract_feat(**copy.deepcopy(data))
        results = model.predict(**data, with_heatmaps=True)
    shapes = dict(det_attention=(4, 6), seg_attention=(16, 24))
    for name, attn in (('det_attention', feats['det_attn']),
                       ('seg_attention', feats['seg_attn'])):
        w_m = getattr(model, name).w_m
        # w_m scores each position of the attended map
        expected = F.conv2d(attn, w_m.weight, w_m.bias, padding=1).sigmoid()
        for result, heatmap in zip(results, expected[:, 0]):
            value = result.pred_heatmaps[name]
            assert value.shape == shapes[name]
            assert 0 <= value.min() and value.max() <= 1
            torch.testing.assert_close(value, heatmap)


@pytest.mark.parametrize('field', ['masks', 'bboxes'])
def test_sample_without_gt_names_the_record(model, field):
    model.train()
    batch = demo_vg_inputs(with_mask=True)
    gt = batch['data_samples'][1].gt_instances
    if field == 'masks':
        del gt.masks
        match = 'gt_instances.masks.*demo_1.jpg.*sent_id=1'
    else:
        batch['data_samples'][1].gt_instances = gt[torch.zeros(
            len(gt), dtype=torch.bool)]
        match = 'gt bboxe.*demo_1.jpg.*sent_id=1'
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match=match):
        model(**data, mode='loss')
