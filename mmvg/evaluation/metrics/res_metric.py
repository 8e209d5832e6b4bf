# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmvg.registry import METRICS
from .base_vg_metric import BaseVGMetric
from .utils import mask_ious, mask_record

RESOLUTIONS = ('original', 'input')


@METRICS.register_module()
class RESMetric(BaseVGMetric):
    """Referring expression segmentation: oIoU, mIoU and Prec@X.

    Per sample, I = |P and G| and U = |P or G| in pixels, where P is the
    highest-scoring predicted mask (empty when none is predicted) and G
    the ground truth. Reported (in percent):

    - ``oIoU``: sum of I over sum of U over the whole split (all ranks);
      LAVT's "overall IoU".
    - ``mIoU``: mean of the per-sample I / U.
    - ``Prec@X``: share of samples with I / U >= X.

    A sample whose union is empty (nothing predicted, nothing to find)
    gets IoU ``empty_union_iou``, 0 by default as in LAVT's evaluation.

    Args:
        resolution (str): ``'original'`` compares ``pred_instances.masks``
            with the RLE ``ori_gt_mask`` at the original image size.
            ``'input'`` compares ``pred_instances.input_masks`` with
            ``gt_instances.masks`` in the network-input frame (LAVT's
            published protocol, 480x480). Defaults to 'original'.
        prec_thrs (Sequence[float]): Thresholds of Prec@X.
            Defaults to (0.5, 0.6, 0.7, 0.8, 0.9).
        empty_union_iou (float): IoU of a sample with an empty union.
            Defaults to 0.
        **kwargs: Breakdown and collection options of
            :class:`BaseVGMetric`.
    """
    default_prefix: Optional[str] = 'res'

    def __init__(self,
                 resolution: str = 'original',
                 prec_thrs: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9),
                 empty_union_iou: float = 0.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if resolution not in RESOLUTIONS:
            raise ValueError(f'resolution must be one of {RESOLUTIONS}, '
                             f'got {resolution!r}')
        self.resolution = resolution
        self.prec_thrs = [float(t) for t in prec_thrs]
        self.empty_union_iou = float(empty_union_iou)

    def sample_record(self, data_sample: dict) -> dict:
        """Intersection and union pixel counts of one sample.

        Args:
            data_sample (dict): The sample with predicted and GT masks.

        Returns:
            dict: ``inter``, ``union`` and ``num_targets``.
        """
        return mask_record(data_sample, self.resolution)

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """oIoU, mIoU and Prec@X of a list of records.

        Args:
            records (list[dict]): Per-sample records.

        Returns:
            dict[str, float]: Metrics in percent.
        """
        inter, union, ious = mask_ious(records, self.empty_union_iou)
        total_union = union.sum()
        overall = (
            inter.sum() /
            total_union if total_union > 0 else self.empty_union_iou)
        metrics = dict(
            oIoU=100.0 * float(overall), mIoU=100.0 * float(ious.mean()))
        for thr in self.prec_thrs:
            metrics[f'Prec@{thr:g}'] = 100.0 * float(np.mean(ious >= thr))
        return metrics
