# Copyright (c) mmvg contributors. All rights reserved.
import pytest
import torch

from mmvg.registry import MODELS
from mmvg.testing import demo_vg_inputs, tiny_alvg_head_cfg
from mmvg.utils import register_all_modules

register_all_modules()
IN_DIMS, DIMS, SIZE, GRID = 24, 32, 64, 4


def build_head(**kwargs):
    torch.manual_seed(0)
    cfg = tiny_alvg_head_cfg(IN_DIMS, DIMS)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    # No dropout: repeated passes agree.
    return head.eval()


def feats(batch=2, length=6, num_real=(3, 6)) -> dict:
    torch.manual_seed(1)
    text_mask = torch.ones(batch, length, dtype=torch.bool)
    for i, real in enumerate(num_real[:batch]):
        text_mask[i, :real] = False
    return dict(
        img_feats=torch.randn(batch, IN_DIMS, GRID, GRID),
        img_mask=torch.zeros(batch, GRID, GRID, dtype=torch.bool),
        text_feats=torch.randn(batch, length, IN_DIMS),
        text_mask=text_mask,
        cls_feat=torch.randn(batch, IN_DIMS))


def samples(batch=2, with_mask=True, no_target=()):
    data = demo_vg_inputs(
        batch_size=batch,
        image_shapes=((SIZE, SIZE), ),
        with_mask=with_mask,
        scale_factor=(0.5, 0.5))['data_samples']
    for i, sample in enumerate(data):
        sample.set_metainfo(dict(batch_input_shape=(SIZE, SIZE)))
        if i in no_target:
            gt = sample.gt_instances
            sample.gt_instances = gt[torch.zeros(len(gt), dtype=torch.bool)]
    return data


def layer_keys(*names):
    return {
        f'{prefix}{name}'
        for prefix in ('', 'd0.', 'd1.')
        for name in names
    }


def test_rec_box_only_losses_and_gradients():
    head = build_head(with_mask=False)
    losses = head.loss(feats(), samples(with_mask=False))
    assert set(losses) == layer_keys('loss_cls', 'loss_bbox', 'loss_iou') | {
        'loss_score_attn', 'loss_decoder_attn'
    }
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for module in (head.input_proj, head.input_text_proj, head.cls_branch,
                   head.img_enhance.img_proj, head.img_enhance.text_proj,
                   head.query_generator.query_embed):
        assert module.weight.grad.abs().sum() > 0
    assert head.decoder.layers[0].cross_attn.in_proj_weight.grad is not None
    # Box-only: the mask head and the unused token branches stay untrained,
    # frozen, so that DDP finds no unused parameter.
    assert head.mask_head.refine[0].weight.grad is None
    assert head.cls_token_branch.weight.grad is None
    frozen = {n for n, p in head.named_parameters() if not p.requires_grad}
    assert frozen == {
        n
        for n, _ in head.named_parameters()
        if n.startswith(('mask_head.', 'cls_token_branch.',
                         'reg_token_branch.'))
    }
    trained = [p for p in head.parameters() if p.requires_grad]
    assert all(p.grad is not None for p in trained)


def test_with_mask_trains_every_parameter_but_the_checkpoint_only_ones():
    head = build_head().train()
    sum(head.loss(feats(), samples()).values()).backward()
    # Reached by the backward pass (some gradients are 0 by construction:
    # the self-attention of one zero query), which is what DDP needs.
    untrained = {n for n, p in head.named_parameters() if p.grad is None}
    frozen = {n for n, p in head.named_parameters() if not p.requires_grad}
    assert untrained == frozen
    assert frozen == {
        n
        for n, _ in head.named_parameters()
        if n.startswith(('cls_token_branch.', 'reg_token_branch.',
                         'mask_head.cross_attn.', 'mask_head.norm.'))
    }


def test_rec_res_losses_and_prediction_in_the_original_image():
    head = build_head()
    losses = head.loss(feats(), samples())
    assert {'loss_mask', 'loss_dice'} <= set(losses)
    sum(losses.values()).backward()
    assert head.mask_head.refine[0].weight.grad.abs().sum() > 0
    outs = head(feats())
    assert [o.shape for o in outs] == [(3, 2, 1, 2), (3, 2, 1, 4),
                                       (2, 8 * GRID, 8 * GRID),
                                       (2, GRID, GRID), (3, 2, 1, GRID, GRID)]
    results = head.predict(feats(), samples())
    for result in results:
        assert result.bboxes.shape == (1, 4)
        assert result.masks.shape == (1, 2 * SIZE, 2 * SIZE)
        assert result.masks.dtype == torch.bool
        assert result.input_masks.shape == (1, SIZE, SIZE)
        assert result.bboxes.max() <= 2 * SIZE
    probs = outs[0][-1].softmax(-1)[:, 0, 0]
    assert torch.allclose(torch.cat([r.scores for r in results]), probs)


def test_grefcoco_no_target_sample():
    head = build_head(
        num_queries=10,
        score_thr=0.7,
        score_attn_loss_weight=0.0,
        decoder_attn_loss_weight=0.0)
    losses = head.loss(feats(), samples(no_target=(0, )))
    assert 'loss_score_attn' not in losses
    assert all(torch.isfinite(v) for v in losses.values())

    # A batch without any target: no box to regress, every query learns
    # no-object, and gradients still flow through the classifier.
    losses = head.loss(feats(), samples(no_target=(0, 1)))
    assert losses['loss_bbox'] == 0 and losses['loss_iou'] == 0
    sum(losses.values()).backward()
    assert head.cls_branch.weight.grad.abs().sum() > 0

    with torch.no_grad():
        head.cls_branch.bias.copy_(torch.tensor([-20.0, 20.0]))
    results = head.predict(feats(), samples(no_target=(0, )))
    for result in results:
        assert len(result) == 0 and result.masks.shape[0] == 0
    with torch.no_grad():
        head.cls_branch.bias.copy_(torch.tensor([20.0, -20.0]))
    results = head.predict(feats(), samples())
    assert all(len(result) == 10 for result in results)


def test_grefcoco_attention_losses_with_several_queries():
    head = build_head(num_queries=10)
    losses = head.loss(feats(), samples(no_target=(0, )))
    assert torch.isfinite(losses['loss_decoder_attn'])
    assert losses['loss_decoder_attn'] > 0


def test_mask_double_sigmoid_changes_only_the_mask_losses():
    single = build_head(mask_loss_double_sigmoid=False)
    double = build_head(mask_loss_double_sigmoid=True)
    a = single.loss(feats(), samples())
    b = double.loss(feats(), samples())
    assert not torch.isclose(a['loss_mask'], b['loss_mask'])
    assert not torch.isclose(a['loss_dice'], b['loss_dice'])
    assert torch.isclose(a['loss_bbox'], b['loss_bbox'])


@pytest.mark.parametrize(
    'flag', ['text_pos_int_freq', 'text_pool_quirk', 'chain_decoder_queries'])
def test_quirk_flags_change_the_outputs(flag):
    on = build_head(**{flag: True})(feats())
    off = build_head(**{flag: False})(feats())
    if flag == 'chain_decoder_queries':
        # The first layer sees zero targets either way.
        assert torch.allclose(on[1][0], off[1][0])
        assert not torch.allclose(on[1][1:], off[1][1:])
    else:
        assert not torch.allclose(on[1], off[1])


def test_missing_mask_names_the_record():
    head = build_head()
    with pytest.raises(ValueError, match='demo_0.jpg'):
        head.loss(feats(), samples(with_mask=False))


def test_empty_weight_is_the_no_object_class_weight():
    head = build_head()
    assert head.loss_cls.class_weight == [1.0, 0.1]
