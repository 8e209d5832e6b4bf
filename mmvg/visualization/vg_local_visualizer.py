# Copyright (c) mmvg contributors. All rights reserved.
"""The grounding visualizer: what was asked, what is right, what the model
said, and where it looked."""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmdet.structures.bbox import get_box_tensor
from mmdet.visualization import DetLocalVisualizer
from mmengine.dist import master_only

from mmvg.datasets.transforms.loading import decode_rle
from mmvg.evaluation.metrics.utils import to_numpy
from mmvg.registry import VISUALIZERS
from mmvg.structures import VGDataSample, record_name, record_text
from .heatmaps import heatmap_to_frame, overlay_heatmap
from .layout import FONT_FAMILY, scaled_font_size, wrap_text

Color = Tuple[int, int, int]
# (K, 4) boxes, (K, H, W) masks, (K, ) scores
_Predictions = Tuple[np.ndarray, np.ndarray, np.ndarray]
FRAMES = ('original', 'input')
# matplotlib's tab10 without its grey (the synthetic images are grey) and
# with its green last (green is the ground truth's colour).
_PALETTE = ((214, 39, 40), (31, 119, 180), (255, 127, 14), (148, 103, 189),
            (23, 190, 207), (227, 119, 194), (188, 189, 34), (140, 86, 75),
            (44, 160, 44))
_BLACK = (0, 0, 0)
_VERDICT = (200, 0, 0)


def expression_colors(num: int) -> List[Color]:
    """``num`` RGB colours, one per expression; they repeat after 9."""
    return [_PALETTE[i % len(_PALETTE)] for i in range(num)]


@dataclass
class _Panel:
    """An image with its caption and the boxes to draw on it."""
    image: np.ndarray
    caption: str = ''
    caption_color: Color = _BLACK
    boxes: List[Tuple[np.ndarray, Color, str]] = field(default_factory=list)


@VISUALIZERS.register_module()
class VGLocalVisualizer(DetLocalVisualizer):
    """Draw grounding samples: the expression, the ground truth and the
    prediction side by side, heat maps, or several expressions on one
    image.

    :meth:`add_datasample` (called by the visualization hook in validation
    and ``tools/test.py --show-dir``) draws one sample: a band on top with
    its expression, then a caption row, then panels of the image's size
    side by side at the bottom: the ground truth, the prediction, and one
    panel per heat map of ``pred_heatmaps``. :meth:`draw_expressions`
    draws the predictions of several expressions about one image on one
    picture, one colour per expression, with a legend band on top.

    Predictions (``pred_instances``: ``bboxes``, ``scores``, optional bool
    ``masks``) are those with a score of at least ``pred_score_thr`` (as
    GRECMetric keeps them). A single-target model (REC, RES) always has an
    answer, so the top-scoring one is kept below the threshold too; with
    ``multi_target=True`` (GREC, GRES) nothing kept, or an empty
    prediction, is the verdict "no target".

    Drawn pictures go to the vis backends (Local, TensorBoard, W&B) as with
    any mmengine visualizer, or to ``out_file``.

    Args:
        name (str): The instance's name. Defaults to 'visualizer'.
        image (np.ndarray, optional): An RGB image to start from.
        vis_backends (list[dict], optional): The vis backends' configs.
        save_dir (str, optional): Where the backends save.
        gt_color (tuple): RGB colour of the ground truth.
            Defaults to green.
        pred_color (tuple): RGB colour of the prediction in
            :meth:`add_datasample`. Defaults to red.
        mask_alpha (float): Opacity of mask overlays. Defaults to 0.4.
        heatmap_alpha (float): Opacity of heat maps. Defaults to 0.5.
        font_size (int, optional): Font size in pixels. Defaults to one that
            grows with the image (:func:`scaled_font_size`).
        multi_target (bool): Whether an expression refers to zero or more
            targets (GREC, GRES); see above. Defaults to False.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 gt_color: Color = (0, 200, 0),
                 pred_color: Color = _PALETTE[0],
                 mask_alpha: float = 0.4,
                 heatmap_alpha: float = 0.5,
                 font_size: Optional[int] = None,
                 multi_target: bool = False) -> None:
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir)
        self.gt_color = tuple(gt_color)
        self.pred_color = tuple(pred_color)
        self.mask_alpha = mask_alpha
        self.heatmap_alpha = heatmap_alpha
        self.font_size = font_size
        self.multi_target = multi_target

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[VGDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0,
                       frame: str = 'original') -> None:
        """Draw one sample and save it to ``out_file`` or the backends.

        The arguments before ``frame`` are mmdet's, so mmdet's
        ``DetVisualizationHook`` and mmvg's ``VGVisualizationHook`` call it.
        A panel whose data the sample lacks is left out (no ground truth at
        inference); a sample with nothing to draw is an error naming its
        record.

        Args:
            name (str): The image's name for the backends.
            image (np.ndarray): The RGB (H, W, 3) image of ``frame``.
            data_sample (VGDataSample, optional): The sample. Without it the
                image is saved as it is.
            draw_gt (bool): Draw the ground truth: ``ori_gt_bboxes`` and
                ``ori_gt_mask`` (``gt_instances`` with ``frame='input'``),
                or the verdict "no target". Defaults to True.
            draw_pred (bool): Draw ``pred_instances`` and the maps of
                ``pred_heatmaps``. Defaults to True.
            show (bool): Show the picture in a window. Defaults to False.
            wait_time (float): Seconds to show it. Defaults to 0.
            out_file (str, optional): Save the picture here instead of to
                the vis backends.
            pred_score_thr (float): The least score of a drawn prediction.
                Defaults to 0.3.
            step (int): The global step for the backends. Defaults to 0.
            frame (str): ``'original'``: the original image, with the
                predictions and ``ori_gt_*`` in its pixels and the
                expression as annotated. ``'input'``: the sample's padded
                network input (``browse_dataset.py``), with
                ``gt_instances``, the expression the model reads and a
                "[flipped]" mark. Defaults to 'original'.
        """
        if frame not in FRAMES:
            raise ValueError(f'frame must be one of {FRAMES}, got {frame!r}')
        image = _as_rgb(image)
        if data_sample is None:
            self.set_image(image)
            drawn = image
        else:
            drawn = self._draw_sample(image, data_sample.cpu(), draw_gt,
                                      draw_pred, pred_score_thr, frame)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)

    @master_only
    def draw_expressions(self,
                         image: np.ndarray,
                         data_samples: Sequence[VGDataSample],
                         pred_score_thr: float = 0.3) -> np.ndarray:
        """Draw the predictions of several expressions about one image.

        Each expression gets its own colour (:func:`expression_colors`) for
        its boxes, their number labels and its mask; a legend band on top
        lists ``colour  number. expression · score`` (the top kept score,
        or "no target"). The maps of a sample's ``pred_heatmaps`` follow
        the image as panels captioned ``number. key``.

        Args:
            image (np.ndarray): The RGB (H, W, 3) image.
            data_samples (Sequence[VGDataSample]): One sample per
                expression, with ``pred_instances`` in the image's pixels.
            pred_score_thr (float): The least score of a drawn prediction
                (see the class docstring). Defaults to 0.3.

        Returns:
            np.ndarray: The RGB picture, also the visualizer's image.
        """
        if len(data_samples) == 0:
            raise ValueError('draw_expressions needs at least one data '
                             'sample (one per expression), got none')
        image = _as_rgb(image)
        panel = _Panel(image.copy())
        heatmap_panels, legend = [], []
        for index, (sample, color) in enumerate(
                zip(data_samples, expression_colors(len(data_samples)))):
            sample = sample.cpu()
            boxes, masks, scores = self._kept_predictions(
                sample, pred_score_thr, panel.image.shape[:2])
            _blend_masks(panel.image, masks, color, self.mask_alpha)
            panel.boxes += [(box, color, str(index + 1)) for box in boxes]
            if not len(boxes) and not len(masks):
                verdict = 'no target'
            else:
                verdict = f'{scores[0]:.2f}' if len(scores) else ''
            text = f'{index + 1}. {record_text(sample.metainfo)}'
            legend.append((f'{text} · {verdict}' if verdict else text, color))
            for heatmap_panel in self._heatmap_panels(image, sample,
                                                      'original'):
                heatmap_panel.caption = f'{index + 1}. {heatmap_panel.caption}'
                heatmap_panels.append(heatmap_panel)
        return self._render(legend, [panel] + heatmap_panels)

    def _draw_sample(self, image: np.ndarray, sample: VGDataSample,
                     draw_gt: bool, draw_pred: bool, pred_score_thr: float,
                     frame: str) -> np.ndarray:
        """The picture of :meth:`add_datasample`."""
        meta = sample.metainfo
        panels = []
        gt_panel = self._gt_panel(image, sample, frame) if draw_gt else None
        if gt_panel is not None:
            panels.append(gt_panel)
        if draw_pred:
            if 'pred_instances' in sample:
                panels.append(self._pred_panel(image, sample, pred_score_thr))
            elif not panels:
                raise ValueError(
                    'draw_pred=True but the sample has no pred_instances '
                    '(run the model on it, or pass draw_pred=False): '
                    f'{record_name(meta)}')
            panels += self._heatmap_panels(image, sample, frame)
        if not panels:
            raise ValueError('Nothing to draw: the sample has no ground '
                             'truth (ori_gt_bboxes, gt_instances with '
                             f"frame='input') to draw: {record_name(meta)}")
        if frame == 'input':
            text = meta.get('text', record_text(meta))
            if meta.get('flip', False):
                text += ' [flipped]'
        else:
            text = record_text(meta)
        return self._render([(text or '(no expression)', None)], panels)

    def _gt_panel(self, image: np.ndarray, sample: VGDataSample,
                  frame: str) -> Optional[_Panel]:
        """The ground truth on the image, or None when the sample has none.
        """
        meta = sample.metainfo
        mask = None
        if frame == 'original':
            if 'ori_gt_bboxes' not in meta:
                return None
            boxes = to_numpy(meta['ori_gt_bboxes']).reshape(-1, 4)
            if meta.get('ori_gt_mask') is not None:
                rle = meta['ori_gt_mask']
                mask = decode_rle(rle, *rle['size']).astype(bool)[None]
        else:
            gt = sample.get('gt_instances')
            if gt is None or 'bboxes' not in gt:
                return None
            boxes = to_numpy(get_box_tensor(gt.bboxes)).reshape(-1, 4)
            if 'masks' in gt and len(gt.masks):
                mask = to_numpy(gt.masks).astype(bool).any(0)[None]
        panel = _Panel(image.copy(), 'ground truth')
        if mask is not None:
            _check_shape(mask, image.shape[:2], 'the ground-truth mask', meta)
            _blend_masks(panel.image, mask, self.gt_color, self.mask_alpha)
        panel.boxes = [(box, self.gt_color, '') for box in boxes]
        if meta.get('no_target', False) or not len(boxes):
            panel.caption = 'ground truth: no target'
            panel.caption_color = _VERDICT
        return panel

    def _pred_panel(self, image: np.ndarray, sample: VGDataSample,
                    pred_score_thr: float) -> _Panel:
        """The kept predictions on the image, or the verdict."""
        boxes, masks, scores = self._kept_predictions(sample, pred_score_thr,
                                                      image.shape[:2])
        panel = _Panel(image.copy(), 'prediction')
        _blend_masks(panel.image, masks, self.pred_color, self.mask_alpha)
        labels = [f'{s:.2f}' for s in scores] or [''] * len(boxes)
        panel.boxes = [(box, self.pred_color, label)
                       for box, label in zip(boxes, labels)]
        if not len(boxes) and not len(masks):
            panel.caption = 'prediction: no target'
            panel.caption_color = _VERDICT
        return panel

    def _heatmap_panels(self, image: np.ndarray, sample: VGDataSample,
                        frame: str) -> List[_Panel]:
        """One panel per map of ``pred_heatmaps``, titled with its key."""
        heatmaps = sample.get('pred_heatmaps')
        if heatmaps is None:
            return []
        if not isinstance(heatmaps, dict):
            raise TypeError('pred_heatmaps must be a dict of (h, w) maps, '
                            f'got {type(heatmaps).__name__}: '
                            f'{record_name(sample.metainfo)}')
        panels = []
        for key, heatmap in heatmaps.items():
            heat = heatmap_to_frame(heatmap, sample.metainfo, image.shape[:2],
                                    frame, key)
            panels.append(
                _Panel(
                    overlay_heatmap(image, heat, self.heatmap_alpha),
                    str(key)))
        return panels

    def _kept_predictions(self, sample: VGDataSample, pred_score_thr: float,
                          image_shape: Tuple[int, int]) -> _Predictions:
        """The predictions to draw, by descending score.

        Returns:
            tuple: (K, 4) boxes, (K, H, W) bool masks (none when the model
            predicts no masks) and (K, ) scores (none without ``scores``).
        """
        meta = sample.metainfo
        pred = sample.get('pred_instances')
        if pred is None:
            raise ValueError('The sample has no pred_instances: '
                             f'{record_name(meta)}')
        num = len(pred)
        keep = np.arange(num)
        scores = np.zeros(0, np.float32)
        if 'scores' in pred:
            scores = to_numpy(pred.scores).astype(np.float32).reshape(-1)
            order = np.argsort(-scores, kind='stable')
            keep = order[scores[order] >= pred_score_thr]
            if not len(keep) and num and not self.multi_target:
                keep = order[:1]
            scores = scores[keep]
        boxes = np.zeros((0, 4), np.float32)
        if 'bboxes' in pred:
            boxes = to_numpy(get_box_tensor(pred.bboxes)).reshape(-1, 4)[keep]
        masks = np.zeros((0, *image_shape), bool)
        if 'masks' in pred:
            masks = to_numpy(pred.masks)
            if masks.dtype != bool:
                raise TypeError('pred_instances.masks must be bool, got '
                                f'{masks.dtype}: {record_name(meta)}')
            masks = masks[keep]
            _check_shape(masks, image_shape,
                         'the predicted masks (rescale=True?)', meta)
        return boxes, masks, scores

    def _render(self, header: List[Tuple[str, Optional[Color]]],
                panels: List[_Panel]) -> np.ndarray:
        """Lay out and draw the picture; return it (RGB).

        Args:
            header (list[tuple]): Lines of the top band, each (text, swatch
                colour or None); long lines wrap.
            panels (list[_Panel]): Images of one size, left to right at the
                bottom, under a caption row.
        """
        height, width = panels[0].image.shape[:2]
        font = self.font_size or scaled_font_size(height, width)
        line = round(1.4 * font)
        pad = max(2, font // 3)
        total_width = width * len(panels)
        header_lines = []
        for text, swatch in header:
            indent = line if swatch is not None else 0
            for k, row in enumerate(
                    wrap_text(text, total_width - 2 * pad - indent, font)):
                header_lines.append((row, indent, swatch if k == 0 else None))
        captions = [
            wrap_text(p.caption, width - 2 * pad, font) for p in panels
        ]
        header_h = 2 * pad + line * len(header_lines)
        rows = max(map(len, captions))
        caption_h = 2 * pad + line * rows if rows else 0
        top = header_h + caption_h
        canvas = np.full((top + height, total_width, 3), 255, np.uint8)
        canvas[header_h:top] = 230
        texts, positions, colors = [], [], []
        for k, (row, indent, swatch) in enumerate(header_lines):
            y = pad + k * line
            if swatch is not None:
                size = round(0.9 * font)
                y0 = y + (line - size) // 2
                canvas[y0:y0 + size, pad:pad + size] = swatch
            texts.append(row)
            positions.append((pad + indent, y))
            colors.append(_BLACK)
        for i, (panel, rows) in enumerate(zip(panels, captions)):
            canvas[top:, i * width:(i + 1) * width] = panel.image
            for k, row in enumerate(rows):
                texts.append(row)
                positions.append((i * width + pad, header_h + pad + k * line))
                colors.append(panel.caption_color)
        self.set_image(canvas)
        self.draw_texts(
            texts,
            np.array(positions, np.float32),
            font_sizes=self._points(font),
            colors=colors,
            font_families=FONT_FAMILY)
        for i, panel in enumerate(panels):
            self._draw_boxes(panel, i * width, top, font)
        return self.get_image()

    def _draw_boxes(self, panel: _Panel, x0: int, y0: int, font: int) -> None:
        """Draw a panel's boxes and their labels at its offset."""
        if not panel.boxes:
            return
        height, width = panel.image.shape[:2]
        boxes = np.stack([box for box, _, _ in panel.boxes]).astype(float)
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
        boxes += [x0, y0, x0, y0]
        colors = [color for _, color, _ in panel.boxes]
        line_px = max(2, round(max(height, width) / 200))
        self.draw_bboxes(
            boxes,
            edge_colors=colors,
            line_widths=self._points(line_px),
            alpha=1.0)
        labelled = [(box, color, label)
                    for box, (_, color, label) in zip(boxes, panel.boxes)
                    if label]
        if not labelled:
            return
        label_font = max(8, round(0.8 * font))
        backgrounds = [
            dict(
                facecolor=np.array(color) / 255,
                alpha=0.8,
                pad=0.5,
                edgecolor='none') for _, color, _ in labelled
        ]
        corners = np.array([box[:2] for box, _, _ in labelled], np.float32)
        self.draw_texts([label for _, _, label in labelled],
                        corners,
                        font_sizes=self._points(label_font),
                        colors='white',
                        font_families=FONT_FAMILY,
                        bboxes=backgrounds)

    def _points(self, pixels: float) -> float:
        """matplotlib's points for a size in pixels of the figure."""
        return pixels * 72 / self.dpi


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """A uint8 (H, W, 3) copy of an RGB, RGBA or grayscale image."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError('image must be (H, W), (H, W, 3) or (H, W, 4), got '
                         f'shape {image.shape}')
    image = np.broadcast_to(image, (*image.shape[:2], 3)) \
        if image.shape[2] == 1 else image[..., :3]
    return np.ascontiguousarray(image.clip(0, 255).astype(np.uint8))


def _blend_masks(image: np.ndarray, masks: np.ndarray, color: Color,
                 alpha: float) -> None:
    """Tint the union of (K, H, W) bool masks in place."""
    if not len(masks):
        return
    union = masks.any(0)
    image[union] = ((1 - alpha) * image[union] +
                    alpha * np.array(color)).round().astype(np.uint8)


def _check_shape(masks: np.ndarray, image_shape: Tuple[int, int], what: str,
                 meta: dict) -> None:
    """Masks must cover the drawn image."""
    if masks.shape[-2:] != tuple(image_shape):
        raise ValueError(f'{what}: masks of {masks.shape[-2:]} on an image '
                         f'of {tuple(image_shape)}: {record_name(meta)}')
