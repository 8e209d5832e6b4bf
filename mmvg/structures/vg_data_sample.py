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

        - ``text`` (str): the expression the model reads (cleaned by
          ``CleanText``, left/right swapped by a flip).
        - ``ori_text`` (str): the expression as in the annotation file;
          dumps and per-length breakdowns show it.
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

        - ``tokens`` (dict[str, Tensor]): the tokenized ``text``, e.g.
          ``input_ids`` and ``attention_mask`` of shape (L, ), set by the
          model's ``VGDataPreprocessor``. They travel
          here rather than in ``inputs`` so that DeepSpeed's
          ``inputs_to_half`` never casts the integer ids to floats.
        - ``gt_instances`` (InstanceData): ``bboxes`` (N, 4) xyxy in the
          network input frame, ``labels`` (zeros) and optional ``masks``
          (BitmapMasks): N masks, each the union of all targets, so that
          mmdet's transforms index them with the boxes; RES reads
          ``masks[0]``. N is 0 for a no-target sample.
        - ``proposals`` (InstanceData): the region proposals of the image
          (``LoadVGProposals``), as mmdet's ``DetDataSample.proposals``:
          ``bboxes`` (K, 4) xyxy in the network input frame, moved with
          the image by the transforms, and ``scores`` (K, ); with the
          whole-image box first when it is added. Two-stage grounders
          (VL-BERT) rank them.
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


def record_text(metainfo: dict) -> str:
    """The record's expression as in its annotation file (``ori_text``),
    not the cleaned or flipped ``text`` the model reads."""
    return metainfo.get('ori_text', metainfo.get('text', ''))


def record_name(metainfo: dict) -> str:
    """A short identity of a sample's record, for error messages."""
    keys = ('img_path', 'image_id', 'ref_id', 'sent_id')
    parts = [f'{k}={metainfo[k]!r}' for k in keys if k in metainfo]
    if 'ori_text' in metainfo or 'text' in metainfo:
        parts.append(f'text={record_text(metainfo)!r}')
    return ', '.join(parts) or '<sample without identity>'
