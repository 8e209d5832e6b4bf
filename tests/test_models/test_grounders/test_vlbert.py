# Copyright (c) mmvg contributors. All rights reserved.
import copy

import pytest
import torch
from mmengine.structures import InstanceData

from mmvg.models.grounders.vlbert import box_sine_embedding
from mmvg.registry import MODELS
from mmvg.testing import build_on_meta, demo_vg_inputs, get_grounder_cfg
from mmvg.utils import register_all_modules

register_all_modules()


@pytest.fixture(scope='module')
def model(word_vocab_file):
    cfg = get_grounder_cfg('_base_/models/vlbert_r18-tiny.py')
    cfg.data_preprocessor.tokenizer.vocab_file = word_vocab_file
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_parameters_match_the_official_model():
    """The official ResNetVLBERT's unique parameters, random init
    (counted from its classes), base and large; conv1, layer1 and every
    BatchNorm are frozen."""
    counts = {}
    for path in ('_base_/models/vlbert_r101_bert-base.py',
                 'vlbert/vlbert_r101_bert-large_4xb2-20e_refcoco-plus.py'):
        model = build_on_meta(get_grounder_cfg(path))
        counts[path] = (sum(p.numel() for p in model.parameters()),
                        sum(p.numel() for p in model.parameters()
                            if p.requires_grad))
    assert list(counts.values()) == [(155_135_041, 154_807_297),
                                     (381_845_569, 381_517_825)]


def test_loss_reaches_every_parameter(model):
    model.train()
    data = model.data_preprocessor(demo_vg_inputs(num_proposals=(3, 5)), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'category.loss_cls'}
    assert all(loss > 0 for loss in losses.values())
    model.zero_grad()
    sum(losses.values()).backward()
    assert not [
        name for name, param in model.named_parameters()
        if param.requires_grad and param.grad is None
    ]


def test_predict_ranks_and_maps_the_best_proposal(model):
    """The best-scoring proposal, mapped back through the flip and the
    resize; padding proposals never win."""
    model.eval()
    batch = demo_vg_inputs(
        image_shapes=((64, 64), (48, 80)),
        flip=True,
        scale_factor=(0.5, 0.5),
        num_proposals=(6, 2))
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        logits, boxes, mask = model(**copy.deepcopy(data), mode='tensor')
        results = model(**data, mode='predict')
    assert logits.shape == mask.shape == (2, 8)
    assert mask.sum(1).tolist() == [8, 4]
    for i, sample in enumerate(results):
        best = logits[i, :int(mask[i].sum())].argmax()
        x1, y1, x2, y2 = boxes[i, best].tolist()
        w = sample.img_shape[1]
        expected = torch.tensor([w - x2, y1, w - x1, y2]) * 2
        torch.testing.assert_close(sample.pred_instances.bboxes[0], expected)
        torch.testing.assert_close(sample.pred_instances.scores,
                                   logits[i, best:best + 1].sigmoid())


def test_regions_do_not_depend_on_the_rest_of_the_batch(model):
    """Words and regions are packed without gaps per sample: a sample's
    scores are the same alone and beside a longer one."""
    model.eval()
    batch = demo_vg_inputs(
        batch_size=2,
        texts=('blue', 'the red circle on the left on the left'),
        num_proposals=(2, 7))
    with torch.no_grad():
        together = model(
            **model.data_preprocessor(copy.deepcopy(batch), False),
            mode='tensor')[0]
        alone = model(
            **model.data_preprocessor(
                dict(
                    inputs=batch['inputs'][:1],
                    data_samples=batch['data_samples'][:1]), False),
            mode='tensor')[0]
    torch.testing.assert_close(together[0, :4], alone[0], atol=1e-5, rtol=0)


def test_missing_or_partial_proposals_name_the_record(model):
    model.eval()
    batch = demo_vg_inputs()
    data = model.data_preprocessor(copy.deepcopy(batch), False)
    with pytest.raises(KeyError, match='demo_0.jpg.*LoadVGProposals'):
        model(**data, mode='predict')
    batch = demo_vg_inputs(num_proposals=3)
    batch['data_samples'][1].proposals.bboxes[0] = torch.tensor(
        [0., 0., 10., 10.])
    data = model.data_preprocessor(batch, False)
    with pytest.raises(ValueError, match='demo_1.jpg.*whole_image_box=True'):
        model(**data, mode='predict')


def test_box_embedding_is_the_official_sine_table():
    """(cx, cy, w, h) x 100 relative to the image, sines then cosines of
    wavelengths 1000 ** (i / n), no +1 on the sides."""
    boxes = torch.tensor([[10., 20., 50., 40.]])
    emb = box_sine_embedding(boxes, torch.tensor([[100., 80.]]), 4)
    assert emb.shape == (1, 32)
    geometry = torch.tensor([30., 37.5, 40., 25.])
    wavelengths = 1000**(torch.arange(4) / 4)
    phase = geometry[:, None] / wavelengths
    expected = torch.cat([phase.sin(), phase.cos()], 1).flatten()
    torch.testing.assert_close(emb[0], expected)


def test_labels_use_the_legacy_iou():
    """Against a 2x2 gt box, the 2x1 box at its top has IoU exactly 0.5
    with continuous sides (not a positive: the threshold is strict) and
    6/9 when sides count x2 - x1 + 1 pixels (a positive)."""
    head = MODELS.build(dict(type='RegionRankHead', in_channels=8))
    legacy = MODELS.build(
        dict(type='RegionRankHead', in_channels=8, legacy_plus_one=True))
    gt = InstanceData(bboxes=torch.tensor([[0., 0., 2., 2.]]))
    boxes = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 1.], [4., 4., 6.,
                                                               6.]])
    meta = dict(img_path='a.jpg')
    assert head.region_labels(boxes, gt, meta).tolist() == [1, 0, 0]
    assert legacy.region_labels(boxes, gt, meta).tolist() == [1, 1, 0]
    no_gt = InstanceData(bboxes=torch.zeros(0, 4))
    with pytest.raises(ValueError, match='a.jpg'):
        head.region_labels(boxes, no_gt, meta)


def test_loss_is_the_mean_bce_over_every_region():
    head = MODELS.build(dict(type='RegionRankHead', in_channels=4))
    logits = torch.tensor([[2., -1., 0.5], [0.3, 1., 9.]])
    boxes = torch.tensor([[[0., 0., 10., 10.], [20., 20., 30., 30.],
                           [0., 0., 11., 10.]],
                          [[0., 0., 10., 10.], [0., 0., 10., 10.],
                           [0., 0., 1., 1.]]])
    mask = torch.tensor([[True, True, True], [True, True, False]])
    gts = [
        InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.]])),
        InstanceData(bboxes=torch.tensor([[20., 20., 30., 30.]]))
    ]
    loss = head.loss_by_feat(
        logits, boxes, mask, batch_gt_instances=gts,
        batch_img_metas=[{}, {}])['loss_cls']
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([2., -1., 0.5, 0.3, 1.]),
        torch.tensor([1., 0., 1., 0., 0.]))
    torch.testing.assert_close(loss, expected)
