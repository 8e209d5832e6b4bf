# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmvg.registry import METRICS
from mmvg.structures import record_name
from .base_vg_metric import BaseVGMetric
from .utils import get_gt_bboxes, iou_hits, top1_box_iou

# Acc@0.5:0.9 averages Acc over these thresholds (step 0.05).
DEFAULT_RANGE_THRS = tuple(np.round(np.linspace(0.5, 0.9, 9), 2).tolist())


def accuracy(ious: np.ndarray, thr: float, strict: bool) -> float:
    """Percentage of IoUs at (or, when strict, above) a threshold."""
    return 100.0 * float(np.mean(iou_hits(ious, thr, strict)))


@METRICS.register_module()
class RECMetric(BaseVGMetric):
    """Referring expression comprehension accuracy.

    The prediction of a sample is its highest-scoring box (the first one
    among equal scores; an empty prediction has IoU 0). Its IoU is taken
    with the ground-truth box ``ori_gt_bboxes`` in original image
    coordinates, no +1 (``legacy_plus_one`` counts a side as ``x2 - x1 +
    1`` pixels, as VL-BERT's evaluation does); should a record hold
    several ground-truth boxes, the best-overlapping one counts.

    Reported (in percent): ``Acc@t`` for each ``t`` of ``iou_thrs``,
    ``Acc@<lo>:<hi>`` (the mean of Acc over ``range_thrs``) and ``mIoU``
    (mean IoU of the top-1 box).

    Args:
        iou_thrs (Sequence[float]): Thresholds of the Acc@t reported one by
            one. Defaults to (0.5, ).
        range_thrs (Sequence[float], optional): Thresholds averaged into
            one Acc@lo:hi. Defaults to 0.5, 0.55, ..., 0.9; None turns it
            off.
        strict (bool): Count IoU > t instead of IoU >= t (the protocol of
            VLTVG's and SimREC's evaluation code). Defaults to False.
        legacy_plus_one (bool): Take the IoU with +1 on every side
            length, the pixel-inclusive convention of VL-BERT's (and
            Detectron's) code: VL-BERT's test accuracy is this IoU >= 0.5
            (its validation during training uses > 0.5). Defaults to
            False.
        **kwargs: Breakdown and collection options of
            :class:`BaseVGMetric`.
    """
    default_prefix: Optional[str] = 'rec'

    def __init__(self,
                 iou_thrs: Sequence[float] = (0.5, ),
                 range_thrs: Optional[Sequence[float]] = DEFAULT_RANGE_THRS,
                 strict: bool = False,
                 legacy_plus_one: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.iou_thrs = [float(t) for t in iou_thrs]
        self.range_thrs = (None if range_thrs is None else
                           [float(t) for t in range_thrs])
        self.strict = strict
        self.legacy_plus_one = legacy_plus_one

    def sample_record(self, data_sample: dict) -> dict:
        """The top-1 IoU of one sample.

        Args:
            data_sample (dict): The sample with ``pred_instances`` and
                ``ori_gt_bboxes``.

        Returns:
            dict: ``iou`` and ``num_targets``.
        """
        gt_bboxes = get_gt_bboxes(data_sample)
        if len(gt_bboxes) == 0:
            raise ValueError('RECMetric needs at least one ground-truth box '
                             'per sample (use GRECMetric for no-target '
                             f'data): {record_name(data_sample)}')
        return dict(
            iou=top1_box_iou(data_sample, gt_bboxes,
                             float(self.legacy_plus_one)),
            num_targets=len(gt_bboxes))

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """Acc@t, Acc over a range of thresholds and mean IoU.

        Args:
            records (list[dict]): Per-sample records.

        Returns:
            dict[str, float]: Metrics in percent.
        """
        ious = np.array([r['iou'] for r in records], dtype=np.float64)
        metrics = {
            f'Acc@{t:g}': accuracy(ious, t, self.strict)
            for t in self.iou_thrs
        }
        if self.range_thrs:
            name = f'Acc@{min(self.range_thrs):g}:{max(self.range_thrs):g}'
            metrics[name] = float(
                np.mean(
                    [accuracy(ious, t, self.strict) for t in self.range_thrs]))
        metrics['mIoU'] = 100.0 * float(ious.mean())
        return metrics
