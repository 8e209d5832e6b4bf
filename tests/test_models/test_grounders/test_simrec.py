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
# Parameters that the losses do not reach, as in the official SimREC (which
# trains with find_unused_parameters=True): the head reads only the
# coarsest map, so the pyramid's two finer outputs feed nothing, and
# the GARAN map conv only draws the heat map.
UNUSED = {
    'neck.mid_proj.conv.weight', 'neck.mid_proj.batch_norm.weight',
    'neck.mid_proj.batch_norm.bias', 'neck.bot_proj.conv.weight',
    'neck.bot_proj.batch_norm.weight', 'neck.bot_proj.batch_norm.bias',
    'attention.w_m.weight', 'attention.w_m.bias'
}


@pytest.fixture(scope='module')
def model(word_vocab_file):
    """The quick start's SimREC, reading the test's vocabulary."""
    cfg = get_grounder_cfg('_base_/models/simrec_cspdarknet-tiny.py')
    cfg.data_preprocessor.tokenizer.vocab_file = word_vocab_file
    cfg.text_encoder.vocab_file = word_vocab_file
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_loss_and_backward_reach_every_used_parameter(model):
    model.train()
    data = model.data_preprocessor(demo_vg_inputs(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_bbox', 'loss_obj', 'category.loss_cls'}
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
    # the tiny config trains its word embedding
    assert model.text_encoder.embedding.weight.grad.abs().sum() > 0


def test_tensor_mode_returns_the_head_outputs(model):
    model.eval()
    data = model.data_preprocessor(
        demo_vg_inputs(image_shapes=((64, 96), )), False)
    with torch.no_grad():
        outs = model(**data, mode='tensor')
    assert isinstance(outs, tuple) and len(outs) == 2
    bbox_preds, objectness = outs
    assert bbox_preds.shape == (2, 4, 4, 6)  # the 8x8-grid stride 16
    assert objectness.shape == (2, 1, 4, 6)


def test_predict_maps_the_best_cell_to_the_original_image(
        model, letterboxed_batch):
    model.eval()
    data = model.data_preprocessor(letterboxed_batch, False)
    with torch.no_grad():
        bbox_preds, objectness = model(**copy.deepcopy(data), mode='tensor')
        results = model(**data, mode='predict')
    grid_w = objectness.size(-1)
    for i, result in enumerate(results):
        best = objectness[i].flatten().argmax()
        row, col = divmod(int(best), grid_w)
        dx, dy, dw, dh = bbox_preds[i, :, row, col].tolist()
        cx, cy = (col + dx) * 16, (row + dy) * 16
        w, h = np.exp(dw) * 16, np.exp(dh) * 16
        box = torch.tensor([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
                           dtype=torch.float32)
        top, _, left, _ = result.metainfo['pad_param']
        img_h, img_w = result.metainfo['img_shape']
        # drop the padding, clip to the image, undo the x2 resize
        box -= torch.tensor([left, top, left, top])
        box[0::2] = box[0::2].clamp(0, img_w)
        box[1::2] = box[1::2].clamp(0, img_h)
        pred = result.pred_instances
        assert pred.bboxes.shape == (1, 4)
        torch.testing.assert_close(pred.bboxes[0], box * 2, atol=1e-3, rtol=0)
        assert torch.isclose(pred.scores[0], objectness[i].max().sigmoid())


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
        torch.testing.assert_close(one.pred_instances.bboxes,
                                   other.pred_instances.bboxes)
        torch.testing.assert_close(one.pred_heatmaps['attention'],
                                   other.pred_heatmaps['attention'])
    # the two expressions about image 1 differ
    assert not torch.equal(shared[0].pred_heatmaps['attention'],
                           shared[2].pred_heatmaps['attention'])


def test_heatmap_is_the_garan_map_on_the_grid(model):
    model.eval()
    data = model.data_preprocessor(
        demo_vg_inputs(image_shapes=((64, 96), )), False)
    attended = []
    hook = model.attention.register_forward_hook(
        lambda module, args, outputs: attended.append(outputs[2]))
    try:
        with torch.no_grad():
            results = model.predict(**data, with_heatmaps=True)
    finally:
        hook.remove()
    # w_m scores each position of the (B, C, 2, 3) attended map
    expected = F.conv2d(
        attended[0],
        model.attention.w_m.weight,
        model.attention.w_m.bias,
        padding=1).sigmoid()[:, 0]
    for result, heatmap in zip(results, expected):
        assert set(result.pred_heatmaps) == {'attention'}
        value = result.pred_heatmaps['attention']
        assert value.shape == (4, 6)
        assert 0 <= value.min() and value.max() <= 1
        torch.testing.assert_close(value, heatmap)


def test_sample_without_gt_box_names_the_record(model):
    model.train()
    batch = demo_vg_inputs()
    gt = batch['data_samples'][1].gt_instances
    batch['data_samples'][1].gt_instances = gt[torch.zeros(
        len(gt), dtype=torch.bool)]
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match='demo_1.jpg.*sent_id=1'):
        model(**data, mode='loss')
