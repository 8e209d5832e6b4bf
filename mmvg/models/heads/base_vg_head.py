# Copyright (c) mmvg contributors. All rights reserved.
"""The head contract every grounder's heads follow.

It is mmdet's ``BaseDenseHead`` contract adapted to grounding:

- :meth:`forward` takes the grounder's feature dict (what
  ``extract_feat`` returns; each head reads the entries it needs) and
  returns a tuple of raw outputs. A grounder's ``mode='tensor'`` returns
  its main head's tuple.
- :meth:`loss` runs :meth:`forward`, unpacks the ground truth once
  (:func:`unpack_vg_gt_instances`) and calls
  ``loss_by_feat(*outs, batch_gt_instances, batch_img_metas)``.
- :meth:`predict` runs :meth:`forward` and calls
  ``predict_by_feat(*outs, batch_img_metas, rescale)``, which returns one
  ``InstanceData`` per sample: ``scores`` always; ``bboxes`` (xyxy) for box
  heads; ``masks`` (bool (K, H, W)) for mask heads, plus ``input_masks``
  (bool (K, h, w) over ``img_shape``, in the input frame, flip kept) for
  the RES metric's input-resolution protocol. With ``rescale=True`` boxes
  and masks are in original image pixels (mapped by
  :mod:`mmvg.models.utils.postprocess`, nowhere else); with
  ``rescale=False`` they stay in the network input frame.

Auxiliary heads that only add a training signal set ``predicts = False``;
the grounder then never calls their :meth:`predict`. Heads that learn
from expressions without a target (gRefCOCO) set
``learns_no_target = True``; the others refuse such a sample, naming it.
"""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmvg.structures import VGSampleList, record_name


def unpack_vg_gt_instances(
        data_samples: VGSampleList) -> Tuple[List[InstanceData], List[dict]]:
    """Split a batch into its ground truth and its metainfo.

    Args:
        data_samples (list[VGDataSample]): The batch.

    Returns:
        tuple: ``batch_gt_instances`` (an empty ``InstanceData`` for a
        sample without ``gt_instances``, so that the head that needs them
        names the record) and ``batch_img_metas``.
    """
    batch_gt_instances, batch_img_metas = [], []
    for sample in data_samples:
        batch_gt_instances.append(sample.get('gt_instances', InstanceData()))
        batch_img_metas.append(sample.metainfo)
    return batch_gt_instances, batch_img_metas


def require_gt(gt_instances: InstanceData, img_meta: dict, field: str,
               head: str) -> Tensor:
    """The non-empty ground-truth ``field`` of a sample, or an error that
    names the record, the head and the missing field.

    Args:
        gt_instances (InstanceData): The sample's ground truth.
        img_meta (dict): The sample's metainfo.
        field (str): E.g. ``'bboxes'``, ``'masks'``, ``'labels'``.
        head (str): The head that needs it, for the message.

    Returns:
        The field's value (tensor or mmdet masks).
    """
    if field not in gt_instances:
        raise ValueError(
            f'{head} needs gt_instances.{field}, but the sample of '
            f'{record_name(img_meta)} has none; load it in the pipeline '
            '(LoadVGAnnotations: with_mask=True for masks, '
            'with_category=True for category labels)')
    value = gt_instances.get(field)
    if len(value) == 0:
        raise ValueError(f'{head} needs at least one gt {field[:-1]}, but '
                         f'the sample of {record_name(img_meta)} has none '
                         '(a no-target expression?)')
    return value


class BaseVGHead(BaseModule, metaclass=ABCMeta):
    """Base class of grounding heads; see the module docstring."""

    #: Whether the head makes predictions (False: training-only head).
    predicts = True
    #: Whether a sample without a gt box trains (generalized grounding).
    learns_no_target = False

    @abstractmethod
    def forward(self, feats: Dict[str, Tensor]) -> tuple:
        """Raw outputs from the grounder's feature dict."""

    def loss(self, feats: Dict[str, Tensor],
             data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Compute the losses of a batch.

        Args:
            feats (dict): The grounder's features.
            data_samples (list[VGDataSample]): The batch with its ground
                truth in the input frame.

        Returns:
            dict[str, Tensor]: The losses.
        """
        batch_gt_instances, batch_img_metas = unpack_vg_gt_instances(
            data_samples)
        return self.loss_by_feat(
            *self(feats),
            batch_gt_instances=batch_gt_instances,
            batch_img_metas=batch_img_metas)

    @abstractmethod
    def loss_by_feat(self, *outs, batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The losses from :meth:`forward`'s outputs."""

    def predict(self,
                feats: Dict[str, Tensor],
                data_samples: VGSampleList,
                rescale: bool = True) -> List[InstanceData]:
        """Predict a batch.

        Args:
            feats (dict): The grounder's features.
            data_samples (list[VGDataSample]): The batch.
            rescale (bool): Map the results to the original image.

        Returns:
            list[InstanceData]: One result per sample.
        """
        batch_img_metas = [sample.metainfo for sample in data_samples]
        return self.predict_by_feat(
            *self(feats), batch_img_metas=batch_img_metas, rescale=rescale)

    def predict_by_feat(self,
                        *outs,
                        batch_img_metas: List[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """Results from :meth:`forward`'s outputs."""
        raise NotImplementedError(
            f'{type(self).__name__} is a training-only head (predicts = '
            'False) and makes no predictions')


def gt_field(gt_instances: InstanceData, img_meta: dict, field: str,
             head: str):
    """The ground-truth ``field`` of a sample, possibly empty (a no-target
    sample), or the error of :func:`require_gt` naming the record when the
    field is missing (for heads with ``learns_no_target``)."""
    if field not in gt_instances:
        require_gt(gt_instances, img_meta, field, head)
    return gt_instances.get(field)


def gt_categories(batch_gt_instances: List[InstanceData],
                  batch_img_metas: List[dict], num_classes: int,
                  head: str) -> Tensor:
    """The category id of every sample's referred object.

    Args:
        batch_gt_instances (list[InstanceData]): ``labels`` (category
            ids, from ``LoadVGAnnotations(with_category=True)``).
        batch_img_metas (list[dict]): Metainfo.
        num_classes (int): Ids must be below it.
        head (str): The head that needs them, for error messages.

    Returns:
        Tensor: (N, ) long.
    """
    labels = torch.stack([
        torch.as_tensor(require_gt(gt, meta, 'labels', head)[0])
        for gt, meta in zip(batch_gt_instances, batch_img_metas)
    ])
    return check_categories(labels, num_classes)


def check_categories(labels: Tensor, num_classes: int) -> Tensor:
    """``labels`` if every category id lies in [0, num_classes), else an
    error saying how to set ``num_classes``."""
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f'Category ids must lie in [0, {num_classes}); got '
            f'{labels.tolist()}. Set num_classes to the largest id + 1.')
    return labels


def first_gt_boxes(batch_gt_instances: List[InstanceData],
                   batch_img_metas: List[dict], head: str) -> Tensor:
    """The first gt box of every sample as xyxy normalised to the padded
    batch input (``batch_input_shape``), the frame feature maps cover.

    Args:
        batch_gt_instances (list[InstanceData]): ``bboxes`` in input pixels.
        batch_img_metas (list[dict]): Metainfo with ``batch_input_shape``.
        head (str): The head that needs them, for error messages.

    Returns:
        Tensor: (N, 4) float32 boxes.
    """
    boxes = []
    for gt, meta in zip(batch_gt_instances, batch_img_metas):
        box = torch.as_tensor(
            require_gt(gt, meta, 'bboxes', head)[:1], dtype=torch.float32)
        pad_h, pad_w = meta['batch_input_shape']
        boxes.append(box / box.new_tensor([pad_w, pad_h, pad_w, pad_h]))
    return torch.cat(boxes)


def gt_mask_union(batch_gt_instances: List[InstanceData],
                  batch_img_metas: List[dict], pad_shape: Tuple[int, int],
                  head: str, device: torch.device) -> Tensor:
    """The union of each sample's gt masks (input frame), zero-padded at
    the bottom and right to ``pad_shape``, the frame of the mask logits.

    Args:
        batch_gt_instances (list[InstanceData]): ``masks`` (mmdet masks or
            a bool tensor) over ``img_shape``.
        batch_img_metas (list[dict]): Metainfo.
        pad_shape (tuple[int, int]): (H_pad, W_pad).
        head (str): The head that needs them, for error messages.
        device (torch.device): Where the targets go.

    Returns:
        Tensor: (B, H_pad, W_pad) bool.
    """
    pad_h, pad_w = pad_shape
    targets = []
    for gt, meta in zip(batch_gt_instances, batch_img_metas):
        masks = require_gt(gt, meta, 'masks', head)
        if not isinstance(masks, Tensor):
            masks = masks.to_tensor(torch.bool, device)
        union = masks.bool().any(dim=0)
        h, w = union.shape
        targets.append(F.pad(union, (0, pad_w - w, 0, pad_h - h)))
    return torch.stack(targets).to(device)
