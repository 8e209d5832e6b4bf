# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional

import numpy as np

from mmvg.registry import METRICS
from mmvg.structures import record_name
from .base_vg_metric import BaseVGMetric
from .res_metric import RESOLUTIONS
from .utils import (get_gt_bboxes, iou_hits, mask_ious, mask_record,
                    top1_box_iou)


@METRICS.register_module()
class InconsistencyErrorMetric(BaseVGMetric):
    """The inconsistency error (IE) of models that predict a box and a mask
    for each expression (MCN, CVPR 2020).

    Per sample, the box is right when the top-1 box's IoU with the ground
    truth box reaches ``iou_thr`` (as :class:`RECMetric` takes it) and the
    mask is right when the top-1 mask's IoU with the ground truth mask
    reaches ``iou_thr`` (as :class:`RESMetric` takes it). ``IE`` (in
    percent) is the share of samples where exactly one of the two is right.
    Every sample needs a ground-truth box and mask.

    SimREC's evaluation code (MCN's) counts the box right when IoU > 0.5,
    the mask when IoU >= 0.5, and gives a sample with an empty union
    (nothing predicted, empty ground truth) mask IoU 1:
    ``box_strict=True, empty_union_iou=1.0`` reproduce it. Its masks are
    thresholded by the model (``> 0`` after ASNLS): in mmvg the head does
    that and predicts bool masks.

    Args:
        iou_thr (float): Box and mask IoU threshold. Defaults to 0.5.
        box_strict (bool): A box is right when IoU > ``iou_thr``.
            Defaults to False (>=).
        mask_strict (bool): A mask is right when IoU > ``iou_thr``.
            Defaults to False (>=).
        resolution (str): Where mask IoUs are taken, as in
            :class:`RESMetric`. Defaults to 'original'.
        empty_union_iou (float): Mask IoU of a sample with an empty union.
            Defaults to 0.
        **kwargs: Breakdown and collection options of
            :class:`BaseVGMetric`.
    """
    default_prefix: Optional[str] = 'recres'

    def __init__(self,
                 iou_thr: float = 0.5,
                 box_strict: bool = False,
                 mask_strict: bool = False,
                 resolution: str = 'original',
                 empty_union_iou: float = 0.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if resolution not in RESOLUTIONS:
            raise ValueError(f'resolution must be one of {RESOLUTIONS}, '
                             f'got {resolution!r}')
        self.iou_thr = float(iou_thr)
        self.box_strict = box_strict
        self.mask_strict = mask_strict
        self.resolution = resolution
        self.empty_union_iou = float(empty_union_iou)

    def sample_record(self, data_sample: dict) -> dict:
        """The top-1 box IoU and the mask pixel counts of one sample.

        Args:
            data_sample (dict): The sample with predicted boxes and masks,
                ``ori_gt_bboxes`` and the ground-truth mask.

        Returns:
            dict: ``box_iou``, ``inter``, ``union`` and ``num_targets``.
        """
        gt_bboxes = get_gt_bboxes(data_sample)
        if len(gt_bboxes) == 0:
            raise ValueError('InconsistencyErrorMetric needs a ground-truth '
                             'box per sample, but this one has none: '
                             f'{record_name(data_sample)}')
        return dict(
            box_iou=top1_box_iou(data_sample, gt_bboxes),
            **mask_record(data_sample, self.resolution))

    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """IE of a list of records.

        Args:
            records (list[dict]): Per-sample records.

        Returns:
            dict[str, float]: ``IE`` in percent.
        """
        box_ious = np.array([r['box_iou'] for r in records], np.float64)
        _, _, mask_iou = mask_ious(records, self.empty_union_iou)
        box_right = iou_hits(box_ious, self.iou_thr, self.box_strict)
        mask_right = iou_hits(mask_iou, self.iou_thr, self.mask_strict)
        return dict(IE=100.0 * float(np.mean(box_right != mask_right)))
