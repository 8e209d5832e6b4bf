# Copyright (c) mmvg contributors. All rights reserved.
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmdet.structures.bbox import bbox_flip
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor

from mmvg.structures import OptVGSampleList, VGDataSample, VGSampleList

ForwardResults = Union[Dict[str, Tensor], VGSampleList, Tuple[Tensor, ...],
                       Tensor]


class BaseGrounder(BaseModel, metaclass=ABCMeta):
    """The base class of grounders: image + expression -> box / mask.

    It mirrors mmdet's ``BaseDetector``: :meth:`forward` dispatches to
    :meth:`loss`, :meth:`predict` or :meth:`_forward` by ``mode``; models
    override those and the two feature hooks :meth:`extract_visual_feat`
    and :meth:`extract_text_feat`. The tokenized expressions travel in the
    data samples (``data_sample.tokens``), never in ``inputs``.

    Args:
        data_preprocessor (dict, optional): The data preprocessor config,
            usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    def forward(self,
                inputs: Tensor,
                data_samples: OptVGSampleList = None,
                mode: str = 'tensor') -> ForwardResults:
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`.

        Args:
            inputs (Tensor): (N, C, H, W) normalised, padded images.
            data_samples (list[VGDataSample], optional): The samples, with
                ``tokens`` and, for ``loss``, ``gt_instances``.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            A dict of losses, the data samples with ``pred_instances``, or
            the raw network outputs.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    @abstractmethod
    def loss(self, inputs: Tensor,
             data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Compute the losses of a batch."""

    @abstractmethod
    def predict(self, inputs: Tensor,
                data_samples: VGSampleList) -> VGSampleList:
        """Predict, filling ``pred_instances`` in original coordinates."""

    @abstractmethod
    def _forward(self, inputs: Tensor, data_samples: OptVGSampleList = None):
        """The network's raw outputs, without post-processing."""

    def extract_visual_feat(self, inputs: Tensor, data_samples: VGSampleList):
        """Extract visual features (hook for subclasses)."""
        raise NotImplementedError

    def extract_text_feat(self, data_samples: VGSampleList):
        """Extract text features from ``data_samples`` (hook)."""
        raise NotImplementedError

    @staticmethod
    def stack_tokens(data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Stack the tokens of a batch into (N, L) tensors.

        The data preprocessor has padded them to one length.

        Args:
            data_samples (list[VGDataSample]): The batch.

        Returns:
            dict[str, Tensor]: One (N, L) tensor per token key.
        """
        if not all('tokens' in sample for sample in data_samples):
            raise KeyError('Every data sample needs `tokens`; add a tokenize '
                           'transform to the pipeline.')
        keys = data_samples[0].tokens.keys()
        return {
            key: torch.stack([sample.tokens[key] for sample in data_samples])
            for key in keys
        }

    @staticmethod
    def stack_pixel_masks(inputs: Tensor,
                          data_samples: VGSampleList) -> Tensor:
        """The (N, H, W) bool mask of padded pixels, True on padding.

        Taken from ``pixel_mask`` (set by the data preprocessor) or, when
        absent, built from ``img_shape``.

        Args:
            inputs (Tensor): (N, C, H, W) padded images.
            data_samples (list[VGDataSample]): The batch.

        Returns:
            Tensor: (N, H, W) bool mask.
        """
        masks = []
        pad_h, pad_w = inputs.shape[-2:]
        for sample in data_samples:
            if 'pixel_mask' in sample:
                masks.append(sample.pixel_mask)
                continue
            img_h, img_w = sample.metainfo.get('img_shape', (pad_h, pad_w))
            mask = inputs.new_ones((pad_h, pad_w), dtype=torch.bool)
            mask[:img_h, :img_w] = False
            masks.append(mask)
        return torch.stack(masks)

    @staticmethod
    def boxes_to_original(bboxes: Tensor, data_sample: VGDataSample) -> Tensor:
        """Map xyxy boxes from the network input frame to the original image.

        Undoes the flip (within ``img_shape``), then the resize
        (``scale_factor`` = (w_scale, h_scale)), and clips to ``ori_shape``.

        Args:
            bboxes (Tensor): (K, 4) xyxy boxes in input pixels.
            data_sample (VGDataSample): Its metainfo holds the geometry.

        Returns:
            Tensor: (K, 4) xyxy boxes in original image pixels.
        """
        meta = data_sample.metainfo
        img_h, img_w = meta['img_shape'][:2]
        bboxes = bboxes.clone()
        bboxes[:, 0::2] = bboxes[:, 0::2].clamp(min=0, max=img_w)
        bboxes[:, 1::2] = bboxes[:, 1::2].clamp(min=0, max=img_h)
        if meta.get('flip', False):
            bboxes = bbox_flip(bboxes, (img_h, img_w),
                               meta.get('flip_direction', 'horizontal'))
        if 'scale_factor' in meta:
            w_scale, h_scale = meta['scale_factor'][:2]
            bboxes = bboxes / bboxes.new_tensor(
                [w_scale, h_scale, w_scale, h_scale])
        if 'ori_shape' in meta:
            ori_h, ori_w = meta['ori_shape'][:2]
            bboxes[:, 0::2] = bboxes[:, 0::2].clamp(min=0, max=ori_w)
            bboxes[:, 1::2] = bboxes[:, 1::2].clamp(min=0, max=ori_h)
        return bboxes

    @staticmethod
    def add_pred_to_datasample(
            data_samples: VGSampleList,
            results_list: List[InstanceData]) -> VGSampleList:
        """Store each result as ``pred_instances`` of its sample.

        Args:
            data_samples (list[VGDataSample]): The batch.
            results_list (list[InstanceData]): One result per sample.

        Returns:
            list[VGDataSample]: The same samples, updated in place.
        """
        for sample, result in zip(data_samples, results_list):
            sample.pred_instances = result
        return data_samples
