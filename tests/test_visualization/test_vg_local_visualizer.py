# Copyright (c) mmvg contributors. All rights reserved.
"""VGLocalVisualizer's pictures, decoded: panels are the last H rows of
the picture, W wide each (ground truth, prediction, heat maps), under the
expression band and the caption row."""
import itertools

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.structures import InstanceData

from mmvg.registry import VISUALIZERS
from mmvg.structures import VGDataSample
from mmvg.utils import register_all_modules
from mmvg.visualization import VGLocalVisualizer, expression_colors
from mmvg.visualization.layout import scaled_font_size, text_width, wrap_text

register_all_modules()
H, W = 96, 128
GT_BOX = (10, 12, 50, 60)
PRED_BOX = (70, 30, 120, 80)
_names = itertools.count()


def grey_image() -> np.ndarray:
    """A grey gradient: no white and no saturated pixel, so text, boxes
    and tints are told apart from it."""
    ramp = np.linspace(70, 170, W).astype(np.uint8)
    return np.repeat(np.repeat(ramp[None, :, None], H, 0), 3, 2)


def make_sample(ori_text='the left box',
                pred_box=PRED_BOX,
                score=0.9,
                no_target=False,
                **meta) -> VGDataSample:
    """A sample in the original frame (96x128) with a gt box and mask, and
    a prediction unless ``pred_box`` is None."""
    mask = np.zeros((H, W), np.uint8)
    x1, y1, x2, y2 = GT_BOX
    mask[y1:y2, x1:x2] = 1
    boxes = np.array([] if no_target else [GT_BOX], np.float32).reshape(-1, 4)
    metainfo = dict(
        ori_text=ori_text,
        text=ori_text.lower(),
        img_path='images/photo.jpg',
        image_id=3,
        ref_id=5,
        sent_id=7,
        ori_shape=(H, W),
        img_shape=(H // 2, W // 2),
        batch_input_shape=(64, 64),
        scale_factor=(0.5, 0.5),
        flip=False,
        flip_direction=None,
        no_target=no_target,
        ori_gt_bboxes=boxes,
        ori_gt_mask=None if no_target else mask_utils.encode(
            np.asfortranarray(mask)))
    metainfo.update(meta)
    sample = VGDataSample(metainfo=metainfo)
    if pred_box is not None:
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor([pred_box], dtype=torch.float32),
            scores=torch.tensor([score]))
    return sample


@pytest.fixture
def visualizer():
    return VGLocalVisualizer.get_instance(f'vis{next(_names)}')


def draw(visualizer, sample, tmp_path, **kwargs) -> np.ndarray:
    """Save the picture as PNG (lossless) and decode it (RGB)."""
    out_file = str(tmp_path / f'{next(_names)}.png')
    visualizer.add_datasample(
        'sample', grey_image(), sample, out_file=out_file, **kwargs)
    return mmcv.imread(out_file, channel_order='rgb').astype(int)


def panels(picture: np.ndarray, num: int) -> list:
    assert picture.shape[1] == num * W
    assert picture.shape[0] > H
    return [picture[-H:, i * W:(i + 1) * W] for i in range(num)]


def edge_ring(box, width=1) -> np.ndarray:
    """A (H, W) mask of the pixels on a box's outline."""
    x1, y1, x2, y2 = box
    outer = np.zeros((H, W), bool)
    outer[max(y1 - width, 0):y2 + width, max(x1 - width, 0):x2 + width] = 1
    inner = np.zeros((H, W), bool)
    inner[y1 + width:y2 - width, x1 + width:x2 - width] = 1
    return outer & ~inner


def changed(panel, region, threshold=30) -> float:
    """The share of ``region``'s pixels that differ from the input."""
    diff = np.abs(panel - grey_image().astype(int)).max(-1)
    return float((diff[region] > threshold).mean())


def reddish(area: np.ndarray) -> bool:
    """Whether red (verdict) text is drawn in ``area``."""
    return bool(((area[..., 0] > 150) & (area[..., 1] < 90) &
                 (area[..., 2] < 90)).any())


def test_text_band_gt_and_prediction_panels(visualizer, tmp_path):
    picture = draw(visualizer, make_sample(), tmp_path)
    gt_panel, pred_panel = panels(picture, 2)
    # The bands above the panels are light with dark text: not the image.
    band = picture[:-H]
    assert (band.min(-1) > 200).mean() > 0.8
    assert (band.max(-1) < 80).any()
    # Each box is drawn on its own panel and nowhere else.
    assert changed(pred_panel, edge_ring(PRED_BOX)) > 0.9
    assert changed(gt_panel, edge_ring(GT_BOX)) > 0.9
    assert changed(gt_panel, edge_ring(PRED_BOX)) == 0
    assert changed(pred_panel, edge_ring(GT_BOX)) == 0
    # The gt mask tints the gt box's inside.
    x1, y1, x2, y2 = GT_BOX
    inside = np.zeros((H, W), bool)
    inside[y1 + 4:y2 - 4, x1 + 4:x2 - 4] = True
    assert changed(gt_panel, inside, threshold=10) == 1
    assert changed(pred_panel, inside, threshold=10) == 0


def test_band_shows_the_annotated_expression(visualizer, tmp_path):
    """The band writes ``ori_text`` (not the cleaned ``text``) and wraps a
    long one onto more rows."""

    def band(**kwargs):
        return draw(visualizer, make_sample(**kwargs), tmp_path)[:-H]

    reference = band(ori_text='The LEFT box', text='the left box')
    same_record = band(ori_text='The LEFT box', text='the right box')
    other = band(ori_text='the small box', text='the left box')
    assert np.array_equal(reference, same_record)
    assert reference.shape == other.shape
    assert not np.array_equal(reference, other)
    long_text = ' '.join(['the box left of the circle'] * 6)
    assert band(ori_text=long_text).shape[0] > reference.shape[0] + 20


def test_draw_gt_and_draw_pred_choose_panels(visualizer, tmp_path):
    sample = make_sample()
    (pred_panel, ) = panels(
        draw(visualizer, sample, tmp_path, draw_gt=False), 1)
    assert changed(pred_panel, edge_ring(PRED_BOX)) > 0.9
    (gt_panel, ) = panels(
        draw(visualizer, sample, tmp_path, draw_pred=False), 1)
    assert changed(gt_panel, edge_ring(GT_BOX)) > 0.9
    # Without ground truth (inference) only the prediction is drawn.
    sample = make_sample()
    del sample.ori_gt_bboxes
    assert draw(visualizer, sample, tmp_path).shape[1] == W


def test_low_score_single_target_keeps_top1(visualizer, tmp_path):
    picture = draw(
        visualizer, make_sample(score=0.1), tmp_path, pred_score_thr=0.3)
    _, pred_panel = panels(picture, 2)
    assert changed(pred_panel, edge_ring(PRED_BOX)) > 0.9
    assert not reddish(picture[:-H, W:])


def test_no_target_verdicts(tmp_path):
    """A gRefCOCO no-target sample: the gt panel says so; a multi-target
    visualizer says so for a prediction below the threshold or an empty
    one, and draws nothing on the image."""
    visualizer = VGLocalVisualizer.get_instance(
        f'vis{next(_names)}', multi_target=True)
    targeted = draw(visualizer, make_sample(), tmp_path)
    assert not reddish(targeted[:-H])

    empty_pred = make_sample(no_target=True)
    empty_pred.pred_instances = InstanceData(
        bboxes=torch.zeros(0, 4), scores=torch.zeros(0))
    for sample in (make_sample(no_target=True, score=0.1), empty_pred):
        picture = draw(visualizer, sample, tmp_path, pred_score_thr=0.3)
        gt_panel, pred_panel = panels(picture, 2)
        assert reddish(picture[:-H, :W]) and reddish(picture[:-H, W:])
        assert changed(pred_panel, np.ones((H, W), bool)) == 0
        assert changed(gt_panel, np.ones((H, W), bool)) == 0


def test_heatmap_panels_in_the_original_frame(visualizer, tmp_path):
    """A map over the padded 64x64 input, hot on the top-left quarter of
    the resized 48x64 image, is hot on the top-left quarter of the 96x128
    original; a horizontal flip is undone."""
    heat = torch.zeros(8, 8)
    heat[:3, :4] = 1  # rows 0-24 of 48 image rows, columns 0-32 of 64
    cold = torch.zeros(4, 4)
    left, right = slice(0, W // 2), slice(W // 2, W)
    for flip, hot_cols in ((False, left), (True, right)):
        sample = make_sample(flip=flip, flip_direction='horizontal')
        sample.pred_heatmaps = dict(verify=heat, stage_1=cold)
        picture = draw(visualizer, sample, tmp_path)
        _, _, verify, stage_1 = panels(picture, 4)
        red = verify[..., 0] - verify[..., 2]
        hot = np.zeros((H, W), bool)
        hot[4:H // 2 - 8, hot_cols][:, 4:-8] = True
        assert red[hot].min() > 20
        assert red[~hot].mean() < red[hot].mean() - 60
        # The all-zero map tints everything blue (the colour map's 0).
        assert (stage_1[..., 2] - stage_1[..., 0]).min() > 20


def test_draw_expressions_colours_and_legend(visualizer):
    boxes = [(5, 5, 40, 40), (60, 10, 120, 45), (20, 55, 100, 90)]
    samples = [
        make_sample(ori_text=f'expression {i}', pred_box=box)
        for i, box in enumerate(boxes)
    ]
    mask = torch.zeros(1, H, W, dtype=torch.bool)
    mask[0, 62:84, 30:90] = True
    samples[2].pred_instances.masks = mask
    nothing_box = (106, 58, 124, 88)  # away from the others
    nothing = make_sample(ori_text='nothing', pred_box=nothing_box, score=0.1)
    visualizer.multi_target = True
    picture = visualizer.draw_expressions(
        grey_image(), samples + [nothing], pred_score_thr=0.3).astype(int)
    colors = np.array(expression_colors(4))
    assert len({tuple(c) for c in colors}) == 4
    image = picture[-H:]
    legend = picture[:-H]
    assert picture.shape[1] == W
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        # The swatch of each expression is in the legend ...
        assert (np.abs(legend - colors[i]).max(-1) == 0).any()
        # ... and its box edge has its colour, nearer than any other's.
        edge = image[(y1 + y2) // 2, x1 - 1:x1 + 1].mean(0)
        distances = np.abs(colors - edge).sum(-1)
        assert distances.argmin() == i and distances[i] < 40
    # The mask is tinted towards the third colour.
    inside = (slice(66, 80), slice(40, 80))
    tint = image[inside].mean((0, 1)) - grey_image()[inside].mean((0, 1))
    assert np.dot(tint, colors[2] - 128) > 0
    # The fourth expression has a legend line but nothing on the image.
    assert (np.abs(legend - colors[3]).max(-1) == 0).any()
    assert changed(image, edge_ring(nothing_box, width=3), threshold=10) == 0


def test_draw_expressions_heatmap_panels(visualizer):
    samples = [make_sample(ori_text=f'expression {i}') for i in range(2)]
    samples[0].pred_heatmaps = dict(verify=torch.ones(8, 8))
    samples[1].pred_heatmaps = dict(
        verify=torch.zeros(8, 8), stage_1=torch.ones(4, 4))
    picture = visualizer.draw_expressions(grey_image(), samples).astype(int)
    image, hot, cold, hot_again = panels(picture, 4)
    assert changed(image, edge_ring(PRED_BOX)) > 0.9
    for heat in (hot, hot_again):
        assert (heat[..., 0] - heat[..., 2]).min() > 20
    assert (cold[..., 2] - cold[..., 0]).min() > 20


def test_vis_backends_receive_the_picture(tmp_path):
    visualizer = VISUALIZERS.build(
        dict(
            type='VGLocalVisualizer',
            name=f'vis{next(_names)}',
            vis_backends=[dict(type='LocalVisBackend')],
            save_dir=str(tmp_path)))
    visualizer.add_datasample('val_img', grey_image(), make_sample(), step=3)
    saved = list((tmp_path / 'vis_data' / 'vis_image').iterdir())
    assert [p.name for p in saved] == ['val_img_3.png']
    assert mmcv.imread(str(saved[0])).shape[1] == 2 * W


def test_input_frame_draws_gt_instances(visualizer, tmp_path):
    """``frame='input'`` (browse_dataset.py): the packed ground truth and
    the expression the model reads, marked when flipped."""
    sample = make_sample(text='the right box', flip=True)
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([PRED_BOX], dtype=torch.float32))
    picture = draw(
        visualizer, sample, tmp_path, draw_pred=False, frame='input')
    (gt_panel, ) = panels(picture, 1)
    assert changed(gt_panel, edge_ring(PRED_BOX)) > 0.9
    assert changed(gt_panel, edge_ring(GT_BOX)) == 0
    unflipped = make_sample(text='the right box')
    unflipped.gt_instances = sample.gt_instances
    other = draw(
        visualizer, unflipped, tmp_path, draw_pred=False, frame='input')
    assert not np.array_equal(picture[:-H], other[:-H])


def test_missing_prediction_names_the_record(visualizer, tmp_path):
    sample = make_sample(pred_box=None)
    with pytest.raises(ValueError, match=r"no pred_instances.*sent_id=7"):
        draw(visualizer, sample, tmp_path, draw_gt=False)
    with pytest.raises(ValueError, match=r'no pred_instances.*sent_id=7'):
        visualizer.draw_expressions(grey_image(), [sample])
    with pytest.raises(ValueError, match='at least one data sample'):
        visualizer.draw_expressions(grey_image(), [])


@pytest.mark.parametrize('field, value, message', [
    ('masks', torch.ones(1, H // 2, W // 2, dtype=torch.bool),
     r'predicted masks.*\(48, 64\).*sent_id=7'),
    ('masks', torch.ones(1, H, W), r'must be bool.*sent_id=7'),
])
def test_bad_predictions_name_the_record(visualizer, tmp_path, field, value,
                                         message):
    sample = make_sample()
    setattr(sample.pred_instances, field, value)
    with pytest.raises((ValueError, TypeError), match=message):
        draw(visualizer, sample, tmp_path)


def test_bad_heatmap_names_the_record(visualizer, tmp_path):
    sample = make_sample()
    sample.pred_heatmaps = dict(verify=torch.zeros(1, 8, 8))
    with pytest.raises(ValueError, match=r"'verify'.*\(h, w\).*sent_id=7"):
        draw(visualizer, sample, tmp_path)


def test_font_grows_with_the_image_and_lines_wrap():
    assert scaled_font_size(128, 128) == 10
    assert scaled_font_size(480, 640) > 20
    text = 'the man in the red shirt standing left of the supercalifragilistic'
    lines = wrap_text(text, 90, 10)
    assert len(lines) > 2
    assert all(text_width(line, 10) <= 90 for line in lines)
    assert ''.join(lines).replace(' ', '') == text.replace(' ', '')
    assert wrap_text('', 90, 10) == []
