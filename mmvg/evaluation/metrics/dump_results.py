# Copyright (c) mmvg contributors. All rights reserved.
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmvg.registry import METRICS
from mmvg.structures import record_text
from .utils import box_iou, get_gt_bboxes, get_pred_bboxes, mask_counts

_IDENTITY_KEYS = ('img_path', 'image_id', 'ref_id', 'sent_id', 'no_target')

# Files written so far by this process: the first split of a
# ``MultiSplitTestLoop`` run truncates the file, the later ones append.
_STARTED_FILES = set()


def _jsonable(value):
    """json's fallback for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f'{type(value).__name__} is not JSON serializable')


@METRICS.register_module()
class DumpGroundingResults(BaseMetric):
    """Write one JSON line per expression: prediction, GT, IoU, correct.

    Each line holds the record's identity (``img_path``, ``image_id``,
    ``ref_id``, ``sent_id``, ``text``, ``no_target``; ``split`` when the
    test loop names it), ``pred_bbox`` (the top-1 box, original
    coordinates) and ``pred_score``, ``gt_bboxes``, ``iou`` (top-1 box
    against the best ground-truth box), ``mask_iou`` when the sample has
    a predicted mask and ``ori_gt_mask``, and ``correct``: ``iou >=
    iou_thr`` (``mask_iou`` when there is no box IoU). Missing values are
    ``null``. Rank 0 writes the file after collection, so every record
    appears once whatever the number of processes.

    Args:
        out_file_path (str): The ``.jsonl`` file.
        iou_thr (float): The least IoU of a correct prediction.
            Defaults to 0.5.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
    """

    def __init__(self,
                 out_file_path: str,
                 iou_thr: float = 0.5,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix='dump')
        if not out_file_path.endswith('.jsonl'):
            raise ValueError('out_file_path must end with .jsonl, got '
                             f'{out_file_path}')
        self.out_file_path = out_file_path
        self.iou_thr = float(iou_thr)

    def _box_fields(self, data_sample: dict) -> dict:
        pred = data_sample.get('pred_instances') or {}
        fields = dict(
            pred_bbox=None, pred_score=None, gt_bboxes=None, iou=None)
        if data_sample.get('ori_gt_bboxes') is not None:
            fields['gt_bboxes'] = get_gt_bboxes(data_sample).tolist()
        if 'bboxes' in pred:
            bboxes, scores = get_pred_bboxes(data_sample)
            if len(bboxes):
                fields['pred_bbox'] = bboxes[0].tolist()
                fields['pred_score'] = float(scores[0])
                if fields['gt_bboxes']:
                    fields['iou'] = float(
                        box_iou(bboxes[:1], fields['gt_bboxes']).max())
        return fields

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Keep one small line per sample.

        Args:
            data_batch (dict, optional): The batch (unused).
            data_samples (Sequence[dict]): Samples with predictions.
        """
        for data_sample in data_samples:
            line = {
                k: data_sample[k]
                for k in _IDENTITY_KEYS if k in data_sample
            }
            # The expression as annotated, not as cleaned for the model.
            line['text'] = record_text(data_sample)
            line.update(self._box_fields(data_sample))
            line['mask_iou'] = None
            pred = data_sample.get('pred_instances') or {}
            if ('masks' in pred
                    and data_sample.get('ori_gt_mask') is not None):
                inter, union, _, _ = mask_counts(data_sample)
                line['mask_iou'] = inter / union if union else 0.0
            iou = line['iou'] if line['iou'] is not None else line['mask_iou']
            line['correct'] = None if iou is None else iou >= self.iou_thr
            self.results.append(line)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the lines; no metric is returned.

        Args:
            results (list[dict]): Lines of the whole split.

        Returns:
            dict: Empty.
        """
        split = (self.dataset_meta or {}).get('split')
        path = osp.abspath(self.out_file_path)
        mode = 'a' if path in _STARTED_FILES else 'w'
        _STARTED_FILES.add(path)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            for line in results:
                if split is not None:
                    line = dict(split=split, **line)
                f.write(json.dumps(line, default=_jsonable) + '\n')
        return {}
