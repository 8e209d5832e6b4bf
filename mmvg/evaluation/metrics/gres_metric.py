# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmvg.registry import METRICS
from .base_vg_metric import BaseVGMetric
from .res_metric import RESOLUTIONS
from .utils import count_targets, mask_counts


@METRICS.register_module()
class GRESMetric(BaseVGMetric):
    """Generalized RES on gRefCOCO, with ReLA's semantics.

    A prediction is "no target" when its mask is empty (no pixel, or no
    mask at all). A sample is no-target when its ``no_target`` flag is set
    (without the flag: when its ground-truth mask is empty). Per sample,
    I = |P and G| and U = |P or G|, and its IoU is:

    - no-target sample: 1 if the prediction is empty, else 0;
    - targeted sample: I / U (0 when U is empty).

    Reported (in percent): ``gIoU`` (mean per-sample IoU over all
    samples), ``cIoU`` (sum I / sum U over all samples, so a no-target
    sample with a non-empty prediction adds its pixels to U), ``N-acc``
    (no-target samples predicted empty), ``T-acc`` (targeted samples
    predicted non-empty) and ``Pr@X`` (targeted samples with IoU >= X).
    A quantity with an empty denominator is left out.

    Args:
        resolution (str): ``'original'`` or ``'input'``, as in
            :class:`RESMetric`. Defaults to 'original'.
        prec_thrs (Sequence[float]): Thresholds of Pr@X.
            Defaults to (0.7, 0.8, 0.9).
        **kwargs: Breakdown and collection options of
            :class:`BaseVGMetric`.
    """
    default_prefix: Optional[str] = 'gres'

    def __init__(self,
                 resolution: str = 'original',
                 prec_thrs: Sequence[float] = (0.7, 0.8, 0.9),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if resolution not in RESOLUTIONS:
            raise ValueError(f'resolution must be one of {RESOLUTIONS}, '
                             f'got {resolution!r}')
        self.resolution = resolution
        self.prec_thrs = [float(t) for t in prec_thrs]

    def sample_record(self, data_sample: dict) -> dict:
        """Pixel counts and no-target flags of one sample.

        Args:
            data_sample (dict): The sample with predicted and GT masks.

        Returns:
            dict: ``inter``, ``union``, ``no_target``, ``pred_empty`` and
            ``num_targets``.
        """
        inter, union, pred_area, gt_area = mask_counts(data_sample,
                                                       self.resolution)
        no_target = bool(data_sample.get('no_target', gt_area == 0))
        return dict(
            inter=inter,
            union=union,
            no_target=no_target,
            pred_empty=pred_area == 0,
            num_targets=0 if no_target else count_targets(
                data_sample, gt_area))

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """gIoU, cIoU, N-acc, T-acc and Pr@X of a list of records.

        Args:
            records (list[dict]): Per-sample records.

        Returns:
            dict[str, float]: Metrics in percent.
        """
        inter = np.array([r['inter'] for r in records], dtype=np.float64)
        union = np.array([r['union'] for r in records], dtype=np.float64)
        no_target = np.array([r['no_target'] for r in records], dtype=bool)
        pred_empty = np.array([r['pred_empty'] for r in records], dtype=bool)
        ious = np.zeros_like(inter)
        np.divide(inter, union, out=ious, where=union > 0)
        ious[no_target] = pred_empty[no_target].astype(np.float64)

        metrics = dict(gIoU=100.0 * float(ious.mean()))
        if union.sum() > 0:
            metrics['cIoU'] = 100.0 * float(inter.sum() / union.sum())
        if no_target.any():
            metrics['N-acc'] = 100.0 * float(pred_empty[no_target].mean())
        targeted = ~no_target
        if targeted.any():
            metrics['T-acc'] = 100.0 * float(np.mean(~pred_empty[targeted]))
            for thr in self.prec_thrs:
                metrics[f'Pr@{thr:g}'] = 100.0 * float(
                    np.mean(ious[targeted] >= thr))
        return metrics
