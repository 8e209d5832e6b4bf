# Copyright (c) mmvg contributors. All rights reserved.
"""``VGInferencer``: ground expressions in images, as mmdet's
``DetInferencer`` detects objects."""
import copy
import json
import os
import os.path as osp
from datetime import datetime
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.fileio import get as get_bytes
from mmengine.infer import BaseInferencer
from mmengine.visualization import Visualizer
from pycocotools import mask as mask_utils
from torch import nn

from mmvg.registry import INFERENCERS, VISUALIZERS
from mmvg.structures import VGDataSample, VGSampleList
from mmvg.utils import register_all_modules, resolve_config_path
from .inference import init_grounder

ImageType = Union[str, np.ndarray]
TextsType = Union[str, Sequence[str], Sequence[Union[str, Sequence[str]]]]

# Test-pipeline steps that read annotations, which a user's image lacks.
_ANNOTATION_TRANSFORMS = ('LoadVGAnnotations', )


def test_pipeline_for_arrays(cfg: Config) -> Compose:
    """The config's test pipeline fed with decoded BGR arrays: the image
    loading step reads ``img`` instead of a file, and annotation loading
    is dropped. It cleans the text and packs it; the model's data
    preprocessor tokenizes it."""
    steps = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    steps = [s for s in steps if s['type'] not in _ANNOTATION_TRANSFORMS]
    steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    return Compose(steps)


def to_bgr(img: np.ndarray, name: str) -> np.ndarray:
    """A uint8 (H, W, 3) BGR copy of a grayscale, BGR or BGRA image.

    Args:
        img (np.ndarray): (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).
        name (str): The image's name, for the error.
    """
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]  # the alpha channel carries no content
    if img.ndim != 3 or img.shape[2] != 3 or img.size == 0:
        raise ValueError(f'Image {name} has shape {img.shape}; expected '
                         '(H, W), (H, W, 3) or (H, W, 4)')
    return np.ascontiguousarray(img, dtype=np.uint8)


def load_image(image: ImageType, name: str) -> np.ndarray:
    """Read an image file (or take an array) as a BGR uint8 array.

    Grayscale and RGBA files are converted, not refused; a file that
    cannot be read or decoded raises an error naming it.
    """
    if isinstance(image, np.ndarray):
        return to_bgr(image, name)
    if not osp.isfile(image):
        raise FileNotFoundError(f'Image file {image} does not exist.')
    try:
        img = mmcv.imfrombytes(get_bytes(image), flag='unchanged')
    except Exception as e:  # the decoders raise assorted types
        raise OSError(f'Cannot decode image file {image}: {e}') from e
    if img is None:
        raise OSError(f'Cannot decode image file {image}: not an image, '
                      'or truncated')
    return to_bgr(img, image)


def mask_to_rle(mask: np.ndarray) -> dict:
    """COCO RLE of a bool (H, W) mask, with ``counts`` as str (JSON)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    return rle


@INFERENCERS.register_module()
class VGInferencer(BaseInferencer):
    """Ground referring expressions in images.

    Built like mmdet's ``DetInferencer`` from a config file, a model name
    of ``model-index.yml`` (``VGInferencer.list_models('mmvg')``), a
    loaded ``Config`` or an already built grounder; called with one or
    several images and, per image, one or several expressions::

        inferencer = VGInferencer(
            'vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic',
            weights='work_dirs/.../iter_2500.pth')
        result = inferencer('shapes.jpg', ['the red circle', 'blue square'],
                            out_dir='outputs')

    The expressions about one image share its visual pass when the model
    allows it (:attr:`BaseGrounder.shares_visual_feat`, e.g. VLTVG);
    early-fusion models (LAVT) run one pass per expression.

    Args:
        model (str | Config | nn.Module, optional): Config path, model
            name, config, or a grounder built by :func:`init_grounder`.
        weights (str, optional): Checkpoint. Loaded strictly: a
            checkpoint of another model fails with the key mismatch. With
            None the weights stay as initialised (for tests).
        device (str, optional): Device; the first GPU if any, else CPU.
        scope (str): The registry scope. Defaults to ``'mmvg'``.
        show_progress (bool): Show a progress bar. Defaults to False.
    """

    def __init__(self,
                 model: Union[str, Config, nn.Module, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: str = 'mmvg',
                 show_progress: bool = False) -> None:
        register_all_modules(init_default_scope=False)
        self.num_visualized_imgs = 0
        self.num_predicted_imgs = 0
        if isinstance(model, nn.Module):
            if not isinstance(getattr(model, 'cfg', None), Config):
                raise TypeError('A built grounder needs its config in '
                                '`model.cfg`, as init_grounder sets it')
            self._grounder = model
            model = model.cfg
        else:
            self._grounder = None
            if isinstance(model, str):
                model = resolve_config_path(model)
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope=scope,
            show_progress=show_progress)

    def _load_model_from_metafile(self, model: str) -> Tuple[Config, str]:
        """The config (and weights, where the metafile names them) of a
        model in ``model-index.yml``; an unknown name lists the known."""
        repo_or_mim_dir = self._get_repo_or_mim_dir(self.scope)
        names = []
        for model_cfg in self._get_models_from_metafile(repo_or_mim_dir):
            names.append(model_cfg['Name'])
            aliases = model_cfg.get('Alias', [])
            aliases = [aliases] if isinstance(aliases, str) else aliases
            if model.lower() in [n.lower() for n in [names[-1], *aliases]]:
                cfg = Config.fromfile(
                    osp.join(repo_or_mim_dir, model_cfg['Config']))
                weights = model_cfg.get('Weights')
                if isinstance(weights, list):
                    weights = weights[0]
                return cfg, weights
        raise ValueError(f'{model!r} is neither a config file nor a model '
                         'of model-index.yml. Known models:\n  ' +
                         '\n  '.join(sorted(names)))

    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str) -> nn.Module:
        if self._grounder is not None:
            return self._grounder
        if isinstance(cfg, ConfigDict):
            cfg = Config(cfg.to_dict())
        return init_grounder(cfg, weights, device=device)

    def _init_pipeline(self, cfg: Config) -> Compose:
        return test_pipeline_for_arrays(cfg)

    def _init_visualizer(self, cfg: Config) -> Optional[Visualizer]:
        # Built on first use: mmengine keeps every visualizer instance for
        # the life of the process, and most calls draw nothing.
        return None

    def _build_visualizer(self) -> Visualizer:
        if 'visualizer' not in self.cfg:
            raise ValueError('The config has no `visualizer` to draw with.')
        vis_cfg = copy.deepcopy(self.cfg.visualizer)
        vis_cfg.name = (f'{vis_cfg.get("name", "visualizer")}-inferencer-'
                        f'{datetime.now().timestamp()}')
        vis_cfg.vis_backends = None  # pictures go where out_dir says
        return VISUALIZERS.build(vis_cfg)

    def __call__(self,
                 inputs: Union[ImageType, Sequence[ImageType]],
                 texts: TextsType,
                 batch_size: int = 1,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: float = 0,
                 no_save_vis: bool = False,
                 draw_pred: bool = True,
                 pred_score_thr: float = 0.3,
                 return_datasamples: bool = False,
                 print_result: bool = False,
                 no_save_pred: bool = True,
                 out_dir: str = '',
                 share_visual: bool = True,
                 heatmaps: bool = False,
                 proposals: Optional[Sequence] = None) -> dict:
        """Ground every expression in its image.

        Args:
            inputs (str | np.ndarray | Sequence): An image (file path, or
                BGR array as OpenCV loads it; grayscale and RGBA are
                converted), a list of them, or a directory of images.
            texts (str | Sequence): For one image, an expression or a list
                of them; for several images, one entry (an expression or
                a list) per image, or one expression for all.
            batch_size (int): Images per forward pass, each with all of
                its expressions. Defaults to 1.
            return_vis (bool): Return the pictures. Defaults to False.
            show (bool): Show the pictures in a window. Defaults to False.
            wait_time (float): Seconds each shown picture stays.
            no_save_vis (bool): Do not write ``out_dir/vis/*.jpg``.
            draw_pred (bool): Draw the predictions. Defaults to True.
            pred_score_thr (float): Least score of a drawn box, for
                multi-target models. Defaults to 0.3.
            return_datasamples (bool): Return ``VGDataSample`` lists
                instead of plain dicts. Defaults to False.
            print_result (bool): Print the predictions.
            no_save_pred (bool): Do not write ``out_dir/preds/*.json``.
                Defaults to True, as in mmdet.
            out_dir (str): Output folder; nothing is written without it.
            share_visual (bool): Encode each image once for all of its
                expressions where the model allows it. Defaults to True.
            heatmaps (bool): Also predict the model's heat maps
                (``pred_heatmaps``) and draw them. Defaults to False.
            proposals (Sequence, optional): For region-ranking models
                (VL-BERT; their test pipeline has ``LoadVGProposals``):
                the candidate boxes, xyxy in original pixels, one (K, 4)
                array-like per image (for one image, that array alone);
                e.g. a detector's output. Defaults to None.

        Returns:
            dict: ``predictions``, one entry per image: ``img_path`` (or
            None for an array) and ``expressions``, one dict per
            expression with ``text``, ``bboxes`` (xyxy, original pixels),
            ``scores`` and, for segmentation models, ``masks`` (COCO RLE);
            and ``visualization``, one RGB picture per image, or None.
        """
        if out_dir:
            img_out_dir = osp.join(out_dir, 'vis')
            pred_out_dir = osp.join(out_dir, 'preds')
        else:
            img_out_dir, pred_out_dir = '', ''
        images = self._inputs_to_list(inputs)
        per_image_texts = self._texts_per_image(images, texts)
        per_image_proposals = self._proposals_per_image(images, proposals)
        preds = []
        for batch in self.preprocess(images, per_image_texts, batch_size,
                                     per_image_proposals):
            preds.extend(
                self.forward(
                    batch, share_visual=share_visual, heatmaps=heatmaps))
        grouped = self._group_by_image(preds, per_image_texts)
        visualization = self.visualize(
            images,
            grouped,
            return_vis=return_vis,
            show=show,
            wait_time=wait_time,
            draw_pred=draw_pred,
            pred_score_thr=pred_score_thr,
            img_out_dir='' if no_save_vis else img_out_dir)
        return self.postprocess(
            grouped,
            visualization,
            return_datasamples=return_datasamples,
            print_result=print_result,
            no_save_pred=no_save_pred,
            pred_out_dir=pred_out_dir)

    @staticmethod
    def _image_name(image: ImageType, index: int) -> str:
        return image if isinstance(image, str) else f'<array {index}>'

    def _texts_per_image(self, images: List[ImageType],
                         texts: TextsType) -> List[List[str]]:
        """One list of expressions per image; an empty list or expression
        raises an error naming the image."""
        if not images:
            raise ValueError('No image given.')
        if isinstance(texts, str):
            per_image = [[texts] for _ in images]
        elif len(images) == 1 and all(isinstance(t, str) for t in texts):
            per_image = [list(texts)]
        elif len(texts) == len(images):
            per_image = [[t] if isinstance(t, str) else list(t) for t in texts]
        else:
            raise ValueError(
                f'{len(images)} images but {len(texts)} entries in texts: '
                'give one entry (an expression or a list) per image')
        for index, (image, expressions) in enumerate(zip(images, per_image)):
            name = self._image_name(image, index)
            if not expressions:
                raise ValueError(f'No expression given for image {name}.')
            for text in expressions:
                if not isinstance(text, str) or not text.strip():
                    raise ValueError(
                        f'Expression {text!r} for image {name} is empty: '
                        'give the text that describes the object to find.')
        return per_image

    def _proposals_per_image(
            self, images: List[ImageType],
            proposals: Optional[Sequence]) -> List[Optional[np.ndarray]]:
        """One (K, 4) float32 array per image, or None per image for a
        model without proposals; wrong input names the image."""
        ranks = any(step['type'] == 'LoadVGProposals'
                    for step in self.cfg.test_dataloader.dataset.pipeline)
        if not ranks:
            if proposals is not None:
                raise ValueError(
                    'proposals were given, but this model does not read '
                    'them (its test pipeline has no LoadVGProposals)')
            return [None] * len(images)
        if proposals is None:
            raise ValueError(
                'This model ranks region proposals: pass proposals=, the '
                'candidate boxes (xyxy, original pixels) of each image, '
                "e.g. a detector's output")
        if len(images) == 1 and np.asarray(proposals[0]).ndim == 1:
            proposals = [proposals]
        if len(proposals) != len(images):
            raise ValueError(f'{len(images)} images but {len(proposals)} '
                             'proposal lists: give one (K, 4) list per '
                             'image')
        arrays = []
        for index, (image, boxes) in enumerate(zip(images, proposals)):
            boxes = np.asarray(boxes, dtype=np.float32)
            name = self._image_name(image, index)
            if boxes.size and (boxes.ndim != 2 or boxes.shape[1] != 4):
                raise ValueError(f'The proposals of image {name} must be '
                                 f'(K, 4) xyxy boxes, got {boxes.shape}')
            boxes = boxes.reshape(-1, 4)
            empty = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
            if empty.any():
                raise ValueError(
                    f'Proposal {boxes[empty][0].tolist()} of image {name} '
                    'has no area (xyxy boxes: x2 > x1, y2 > y1)')
            arrays.append(boxes)
        return arrays

    def preprocess(
        self,
        images: List[ImageType],
        per_image_texts: List[List[str]],
        batch_size: int,
        per_image_proposals: Optional[List[Optional[np.ndarray]]] = None
    ) -> Iterator[Tuple[dict, List[int]]]:
        """Batches of ``batch_size`` images, each with all of its
        expressions: one (image, expression) pair per sample.

        Each image is read once; its proposals, if any, go with each of
        its expressions.

        Yields:
            tuple: the collated pairs and, for each pair, the index of its
            image within the batch.
        """
        for start in range(0, len(images), batch_size):
            items, image_index = [], []
            for offset in range(min(batch_size, len(images) - start)):
                image_id = start + offset
                image = images[image_id]
                img = load_image(image, self._image_name(image, image_id))
                record = dict(img=img, image_id=image_id)
                boxes = (per_image_proposals or [None] * len(images))[image_id]
                if boxes is not None:
                    record.update(
                        proposals=boxes,
                        proposals_scores=np.ones(len(boxes), np.float32))
                for text in per_image_texts[image_id]:
                    item = self.pipeline(
                        dict(record, text=text, ori_text=text))
                    # The array loader sets img_path to None.
                    item['data_samples'].set_metainfo(
                        dict(
                            img_path=image if isinstance(image, str) else None)
                    )
                    items.append(item)
                    image_index.append(offset)
            yield self.collate_fn(items), image_index

    @torch.no_grad()
    def forward(self,
                batch: Tuple[dict, List[int]],
                share_visual: bool = True,
                heatmaps: bool = False) -> VGSampleList:
        """Predict one batch; the pairs of one image share its visual
        pass when ``share_visual`` and the model allow it."""
        data, image_index = batch
        data = self.model.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        if not share_visual:
            return self.model.predict(inputs, samples, with_heatmaps=heatmaps)
        first = [image_index.index(i) for i in range(image_index[-1] + 1)]
        return self.model.predict_shared(
            inputs[first], samples, image_index, with_heatmaps=heatmaps)

    @staticmethod
    def _group_by_image(
            preds: VGSampleList,
            per_image_texts: List[List[str]]) -> List[VGSampleList]:
        grouped, start = [], 0
        for texts in per_image_texts:
            grouped.append(preds[start:start + len(texts)])
            start += len(texts)
        return grouped

    def visualize(self,
                  images: List[ImageType],
                  preds: List[VGSampleList],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  draw_pred: bool = True,
                  pred_score_thr: float = 0.3,
                  img_out_dir: str = '') -> Optional[List[np.ndarray]]:
        """Draw each image with all of its expressions, each in its own
        colour; save them under ``img_out_dir``.

        Returns:
            list[np.ndarray] | None: RGB pictures, or None when neither
            returned, shown nor saved.
        """
        if not (return_vis or show or img_out_dir) or not draw_pred:
            return None
        if self.visualizer is None:
            self.visualizer = self._build_visualizer()
        pictures = []
        for index, (image, samples) in enumerate(zip(images, preds)):
            img = load_image(image, self._image_name(image, index))
            picture = self.visualizer.draw_expressions(
                mmcv.bgr2rgb(img), samples, pred_score_thr=pred_score_thr)
            if show:
                self.visualizer.show(
                    picture, win_name=f'image {index}', wait_time=wait_time)
            if img_out_dir:
                name = (
                    osp.splitext(osp.basename(image))[0] if isinstance(
                        image, str) else f'{self.num_visualized_imgs:08}')
                mmcv.imwrite(
                    mmcv.rgb2bgr(picture), osp.join(img_out_dir,
                                                    f'{name}.jpg'))
            self.num_visualized_imgs += 1
            pictures.append(picture)
        return pictures

    def pred_to_dict(self, sample: VGDataSample) -> Dict:
        """One expression's prediction as JSON-ready lists."""
        pred = sample.pred_instances
        result = dict(
            text=sample.metainfo.get('ori_text', sample.text),
            bboxes=pred.bboxes.cpu().float().tolist()
            if 'bboxes' in pred else [],
            scores=pred.scores.cpu().float().tolist())
        if 'masks' in pred:
            result['masks'] = [
                mask_to_rle(mask) for mask in pred.masks.cpu().numpy()
            ]
        return result

    def postprocess(self,
                    preds: List[VGSampleList],
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasamples: bool = False,
                    print_result: bool = False,
                    no_save_pred: bool = True,
                    pred_out_dir: str = '') -> dict:
        """Predictions as dicts (or data samples); save them as JSON, one
        file per image, under ``pred_out_dir``."""
        results = []
        for samples in preds:
            img_path = samples[0].metainfo.get('img_path')
            entry = dict(
                img_path=img_path,
                expressions=[self.pred_to_dict(s) for s in samples])
            if pred_out_dir and not no_save_pred:
                name = (
                    osp.splitext(osp.basename(img_path))[0]
                    if img_path else f'{self.num_predicted_imgs:08}')
                os.makedirs(pred_out_dir, exist_ok=True)
                with open(osp.join(pred_out_dir, f'{name}.json'), 'w') as f:
                    json.dump(entry, f, indent=2)
            self.num_predicted_imgs += 1
            results.append(samples if return_datasamples else entry)
        if print_result:
            print(results)
        return dict(predictions=results, visualization=visualization)


def inference_grounder(model: nn.Module,
                       image: Union[str, np.ndarray],
                       text: str,
                       proposals: Optional[Sequence] = None) -> VGDataSample:
    """Ground one expression in one image; :class:`VGInferencer` does
    many at once, draws and saves them.

    Args:
        model (nn.Module): A grounder from :func:`init_grounder`.
        image (str | np.ndarray): Image path, or a BGR uint8 (H, W, 3)
            array as OpenCV loads it.
        text (str): The referring expression.
        proposals (Sequence, optional): (K, 4) candidate boxes, xyxy in
            original pixels, for region-ranking models (VL-BERT).

    Returns:
        VGDataSample: ``pred_instances.bboxes`` (K, 4) xyxy and
        ``pred_instances.scores`` (K, ), in original image pixels (plus
        ``masks`` for segmentation models).
    """
    if not isinstance(text, str):
        raise TypeError(f'text must be one expression (str), got '
                        f'{type(text).__name__}')
    result = VGInferencer(model)(
        image, [text], return_datasamples=True, proposals=proposals)
    return result['predictions'][0][0]
