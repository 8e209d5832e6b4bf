# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional

import torch
from mmdet.structures import DetDataSample


class VGDataSample(DetDataSample):
    """The data sample of one (image, expression) pair.

    It extends mmdet's :class:`DetDataSample`, so mmdet's visualizer,
    heads and utilities read it unchanged, and adds what grounding needs.

    Meta information (set through ``set_metainfo``, read as attributes,
    e.g. ``sample.text``; the keys ``PackVGInputs`` fills):

        - ``text`` (str): the referring expression as given.
        - ``no_target`` (bool): True when the expression refers to nothing
          (gRefCOCO). Its ``gt_instances`` are then empty.
        - ``img_path``, ``ori_shape``, ``img_shape``, ``pad_shape``,
          ``scale_factor``, ``flip``, ``flip_direction``: the geometry used
          to map predictions back to the original image.
        - ``image_id``, ``ref_id``, ``sent_id``: the record's identity.
        - ``ori_gt_bboxes`` (np.float32 (N, 4)) and ``ori_gt_mask`` (COCO
          RLE of the union of the targets, or None): the ground truth in
          original image coordinates, for the metrics.

    Data fields:

        - ``tokens`` (dict[str, Tensor]): the tokenized expression, e.g.
          ``input_ids`` and ``attention_mask`` of shape (L, ). They travel
          here rather than in ``inputs`` so that DeepSpeed's
          ``inputs_to_half`` never casts the integer ids to floats.
        - ``gt_instances`` (InstanceData): ``bboxes`` (N, 4) xyxy in the
          network input frame, ``labels`` (zeros) and optional ``masks``
          (BitmapMasks): N masks, each the union of all targets, so that
          mmdet's transforms index them with the boxes; RES reads
          ``masks[0]``. N is 0 for a no-target sample.
        - ``pred_instances`` (InstanceData): ``bboxes`` (K, 4) xyxy,
          ``scores`` (K, ), optional ``masks``, in original image
          coordinates.
        - ``pixel_mask`` (Tensor): (H, W) bool over the padded batch input,
          True on padding; set by ``VGDataPreprocessor``, which also pads
          ``tokens`` to one length per batch.
    """

    @property
    def tokens(self) -> Dict[str, torch.Tensor]:
        return self._tokens

    @tokens.setter
    def tokens(self, value: Dict[str, torch.Tensor]) -> None:
        self.set_field(value, '_tokens', dtype=dict)

    @tokens.deleter
    def tokens(self) -> None:
        del self._tokens


VGSampleList = List[VGDataSample]
OptVGSampleList = Optional[VGSampleList]
