# Copyright (c) mmvg contributors. All rights reserved.
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import BaseBoxes
from mmengine.structures import InstanceData

from mmvg.registry import TRANSFORMS
from mmvg.structures import VGDataSample, record_name
from .loading import proposals_frame


@TRANSFORMS.register_module()
class PackVGInputs(BaseTransform):
    """Pack a sample into ``dict(inputs=..., data_samples=VGDataSample)``.

    ``inputs`` is the uint8 (3, H, W) image tensor, channels as loaded
    (BGR). ``gt_instances`` holds ``bboxes`` (N, 4) xyxy float in the
    network input frame, ``labels`` (zeros) and, when loaded, ``masks``.
    ``proposals`` (``LoadVGProposals``) holds ``bboxes`` (K, 4) in the same
    frame and ``scores``, as mmdet's ``PackDetInputs`` packs them. The
    geometry keys default to identity when no resize, pad or flip ran, so
    predictions can always be mapped back.

    Args:
        meta_keys (tuple[str]): Keys copied into the metainfo.
    """

    META_KEYS = ('text', 'ori_text', 'img_path', 'ori_shape', 'img_shape',
                 'pad_shape', 'pad_param', 'scale_factor', 'flip',
                 'flip_direction', 'image_id', 'ref_id', 'sent_id',
                 'no_target', 'ori_gt_bboxes', 'ori_gt_mask')

    def __init__(self, meta_keys: tuple = META_KEYS) -> None:
        self.meta_keys = meta_keys

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        results.setdefault('img_shape', img.shape[:2])
        if len(results.get('pad_shape', ())) == 3:
            # mmdet's Pad: it also set img_shape to the padded size, so
            # predictions would not be cropped to the image any more.
            raise ValueError(
                "The pipeline pads with mmdet's `Pad`, which sets img_shape "
                'to the padded size; mmvg pipelines pad with `VGPad` '
                f'(docs/en/compat.md). Record: {record_name(results)}')
        results['pad_shape'] = tuple(
            results.get('pad_shape', results['img_shape']))
        results.setdefault('scale_factor', (1.0, 1.0))
        results.setdefault('flip', False)
        results.setdefault('flip_direction', None)
        results['no_target'] = bool(results.get('no_target', False))

        sample = VGDataSample()
        if 'gt_bboxes' in results:
            boxes = results['gt_bboxes']
            boxes = boxes.tensor if isinstance(boxes, BaseBoxes) \
                else torch.as_tensor(np.asarray(boxes)).reshape(-1, 4)
            instances = InstanceData()
            instances.bboxes = boxes.float()
            instances.labels = torch.as_tensor(
                results.get('gt_bboxes_labels', np.zeros(len(boxes),
                                                         np.int64)),
                dtype=torch.long)
            if 'gt_masks' in results:
                instances.masks = results['gt_masks']
            sample.gt_instances = instances
        if 'proposals' in results:
            sample.proposals = self._pack_proposals(results)
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    @staticmethod
    def _pack_proposals(results: dict) -> InstanceData:
        if results.get('proposals_frame') != proposals_frame(results):
            raise ValueError(
                'A transform changed the image without moving its '
                f'proposals (they are in {results.get("proposals_frame")}, '
                f'the image in {proposals_frame(results)}): use mmvg\'s '
                'VGResize, RandomFlipVG, LetterBox, RandomCropKeepTarget '
                'after LoadVGProposals (mmdet\'s Resize and RandomFlip '
                f'leave proposals behind). Record: {record_name(results)}')
        proposals = InstanceData()
        proposals.bboxes = results['proposals'].tensor.float()
        proposals.scores = torch.as_tensor(
            results['proposals_scores'], dtype=torch.float32)
        return proposals

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
