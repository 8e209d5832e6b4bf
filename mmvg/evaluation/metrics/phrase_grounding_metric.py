# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmvg.registry import METRICS
from mmvg.structures import record_name
from .base_vg_metric import BaseVGMetric
from .utils import box_iou, get_gt_bboxes, get_pred_bboxes

PROTOCOLS = ('any', 'merged')


def first_hit(ious: np.ndarray, thr: float) -> int:
    """Rank (0-based) of the first prediction reaching ``thr``, else -1."""
    hits = np.flatnonzero(ious >= thr)
    return int(hits[0]) if len(hits) else -1


@METRICS.register_module()
class PhraseGroundingMetric(BaseVGMetric):
    """Flickr30k Entities phrase grounding: Recall@k.

    One sample is one (image, phrase) pair. Fields read:

    - ``ori_gt_bboxes`` (N, 4): every box of the phrase's entity, xyxy in
      original image coordinates (N >= 1; phrases without a box, such as
      scene or non-visual entities, are not evaluated and raise).
    - ``pred_instances.bboxes`` (K, 4) and ``pred_instances.scores`` (K, ):
      ranked predictions in original image coordinates.
    - ``text``: the phrase (for the length breakdown).

    Recall@k is the share of phrases for which one of the k
    highest-scoring boxes has IoU >= ``iou_thr`` with the ground truth, in
    two protocols (MDETR's):

    - ``any``: with any one of the ground-truth boxes;
    - ``merged``: with the smallest box enclosing all ground-truth boxes.

    Metrics are named ``any_box/R@k`` and ``merged_box/R@k`` (percent).
    REC-style Acc@0.5 on Flickr30k is :class:`RECMetric`'s job, reported
    separately.

    Args:
        topk (Sequence[int]): The k of Recall@k. Defaults to (1, 5, 10).
        iou_thr (float): The least IoU of a hit. Defaults to 0.5.
        protocols (Sequence[str]): Among ``'any'`` and ``'merged'``.
            Defaults to both.
        **kwargs: Breakdown and collection options of
            :class:`BaseVGMetric`.
    """
    default_prefix: Optional[str] = 'flickr'

    def __init__(self,
                 topk: Sequence[int] = (1, 5, 10),
                 iou_thr: float = 0.5,
                 protocols: Sequence[str] = PROTOCOLS,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        unknown = set(protocols) - set(PROTOCOLS)
        if unknown or not protocols:
            raise ValueError(f'protocols must be among {PROTOCOLS}, got '
                             f'{list(protocols)}')
        if any(int(k) < 1 for k in topk):
            raise ValueError(f'topk must be positive, got {list(topk)}')
        self.topk = [int(k) for k in topk]
        self.iou_thr = float(iou_thr)
        self.protocols = list(protocols)

    def sample_record(self, data_sample: dict) -> dict:
        """The rank of the first hit under each protocol.

        Args:
            data_sample (dict): The phrase with predictions and its boxes.

        Returns:
            dict: ``any`` and/or ``merged`` (0-based rank of the first
            hit, -1 for none) and ``num_targets``.
        """
        gt_bboxes = get_gt_bboxes(data_sample)
        if len(gt_bboxes) == 0:
            raise ValueError('PhraseGroundingMetric needs at least one '
                             'ground-truth box per phrase: '
                             f'{record_name(data_sample)}')
        pred_bboxes, _ = get_pred_bboxes(data_sample)
        record = dict(num_targets=len(gt_bboxes))
        if 'any' in self.protocols:
            ious = box_iou(pred_bboxes, gt_bboxes).max(axis=1, initial=0.0)
            record['any'] = first_hit(ious, self.iou_thr)
        if 'merged' in self.protocols:
            merged = np.concatenate(
                [gt_bboxes[:, :2].min(axis=0), gt_bboxes[:, 2:].max(axis=0)])
            ious = box_iou(pred_bboxes, merged[None])[:, 0]
            record['merged'] = first_hit(ious, self.iou_thr)
        return record

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """Recall@k under each protocol.

        Args:
            records (list[dict]): Per-phrase records.

        Returns:
            dict[str, float]: Metrics in percent.
        """
        metrics = {}
        for protocol in self.protocols:
            ranks = np.array([r[protocol] for r in records])
            for k in self.topk:
                hits = (ranks >= 0) & (ranks < k)
                metrics[f'{protocol}_box/R@{k}'] = 100.0 * float(hits.mean())
        return metrics
