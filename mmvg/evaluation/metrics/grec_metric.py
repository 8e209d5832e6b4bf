# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional

import numpy as np

from mmvg.registry import METRICS
from .base_vg_metric import BaseVGMetric
from .utils import box_iou, get_gt_bboxes, get_pred_bboxes


def greedy_match(overlaps: np.ndarray, thr: float) -> int:
    """Number of one-to-one matches taken greedily by largest overlap.

    The largest remaining overlap is matched while it is >= ``thr``, and
    its row and column are removed. Ties go to the smallest row (the
    higher-scoring prediction when rows are sorted by score), then the
    smallest column (the earlier ground-truth box).

    Args:
        overlaps (np.ndarray): (K, N) overlaps of predictions (rows) with
            ground-truth boxes (columns).
        thr (float): The least overlap of a match.

    Returns:
        int: The number of matches (true positives).
    """
    overlaps = np.array(overlaps, dtype=np.float64)
    matches = 0
    for _ in range(min(overlaps.shape)):
        # argmax returns the first maximum in row-major order: the tie rule.
        row, col = np.unravel_index(np.argmax(overlaps), overlaps.shape)
        if overlaps[row, col] < thr:
            break
        matches += 1
        overlaps[row, :] = -np.inf
        overlaps[:, col] = -np.inf
    return matches


@METRICS.register_module()
class GRECMetric(BaseVGMetric):
    """Generalized REC on gRefCOCO, with the official evaluator's semantics.

    Per sample, the predicted boxes with score >= ``score_thr`` are kept
    (compared in the scores' precision, so that a float32 score of 0.7 is
    kept).

    - A no-target sample (no ground-truth box) is correct when none is
      kept.
    - Otherwise kept boxes and ground-truth boxes are matched one to one,
      greedily by the largest GIoU (``iou_mode``) >= ``iou_thr``: TP =
      matches, FP = kept - TP, FN = GT - TP, F1 = 2TP / (2TP + FP + FN),
      and the sample is correct when F1 = 1.

    Ties in the matching are broken deterministically: predictions are
    sorted by descending score (stably: equal scores keep the model's
    order), and among equal overlaps the higher-ranked prediction, then
    the earlier ground-truth box, is matched first.

    Reported (in percent): ``Pr@(F1=1,IoU>=0.5)`` (share of correct
    samples, the name follows ``iou_thr``), ``N-acc`` (share of no-target
    samples with no box kept) and ``T-acc`` (share of targeted samples with
    at least one box kept). N-acc and T-acc are left out when the split has
    no sample of their kind.

    Args:
        score_thr (float): The least score of a kept box. Defaults to 0.7.
        iou_thr (float): The least overlap of a match. Defaults to 0.5.
        iou_mode (str): ``'giou'`` (official) or ``'iou'``.
            Defaults to 'giou'.
        **kwargs: Breakdown and collection options of
            :class:`BaseVGMetric`.
    """
    default_prefix: Optional[str] = 'grec'

    def __init__(self,
                 score_thr: float = 0.7,
                 iou_thr: float = 0.5,
                 iou_mode: str = 'giou',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if iou_mode not in ('giou', 'iou'):
            raise ValueError(f'iou_mode must be "giou" or "iou", got '
                             f'{iou_mode!r}')
        self.score_thr = float(score_thr)
        self.iou_thr = float(iou_thr)
        self.iou_mode = iou_mode

    def sample_record(self, data_sample: dict) -> dict:
        """TP, FP and FN of one sample.

        Args:
            data_sample (dict): The sample with ``pred_instances`` and
                ``ori_gt_bboxes`` (zero rows for a no-target sample).

        Returns:
            dict: ``num_targets``, ``num_kept`` and ``tp``.
        """
        gt_bboxes = get_gt_bboxes(data_sample)
        pred_bboxes, scores = get_pred_bboxes(data_sample)
        # In the scores' own precision, a float32 score of 0.7 is kept.
        kept = pred_bboxes[scores >= scores.dtype.type(self.score_thr)]
        tp = 0
        if len(kept) and len(gt_bboxes):
            overlaps = box_iou(kept, gt_bboxes, mode=self.iou_mode)
            tp = greedy_match(overlaps, self.iou_thr)
        return dict(num_targets=len(gt_bboxes), num_kept=len(kept), tp=tp)

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """Pr@(F1=1), N-acc and T-acc of a list of records.

        Args:
            records (list[dict]): Per-sample records.

        Returns:
            dict[str, float]: Metrics in percent.
        """
        num_gt = np.array([r['num_targets'] for r in records])
        num_kept = np.array([r['num_kept'] for r in records])
        tp = np.array([r['tp'] for r in records])
        no_target = num_gt == 0
        # F1 = 1 exactly when every kept box and every GT box is matched;
        # for a no-target sample, when nothing is kept.
        correct = np.where(no_target, num_kept == 0,
                           (tp == num_gt) & (tp == num_kept))
        metrics = {
            f'Pr@(F1=1,IoU>={self.iou_thr:g})': 100.0 * float(correct.mean())
        }
        if no_target.any():
            metrics['N-acc'] = 100.0 * float(np.mean(num_kept[no_target] == 0))
        if (~no_target).any():
            metrics['T-acc'] = 100.0 * float(np.mean(num_kept[~no_target] > 0))
        return metrics
