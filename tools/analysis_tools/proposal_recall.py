# Copyright (c) mmvg contributors. All rights reserved.
"""The recall of a proposals file on an annotation file: the share of
expressions whose referred box has a proposal at IoU >= each threshold.

A region-ranking model (VL-BERT) can only be right where a proposal is,
so the recall at 0.5 is the ceiling of its Acc@0.5.

Example::

    python tools/analysis_tools/proposal_recall.py \\
        data/synthetic/annotations/synthetic_unc_val.json \\
        data/synthetic/annotations/synthetic_proposals_dets.json
"""
import argparse
from typing import Dict, List, Sequence

import numpy as np

from mmvg.datasets.canonical import load_canonical
from mmvg.datasets.proposals import load_proposals
from mmvg.evaluation.metrics.utils import box_iou


def proposal_recall(ann_file: str,
                    proposal_file: str,
                    thresholds: Sequence[float] = (0.5, ),
                    offset: float = 0.) -> Dict[str, float]:
    """Recall of the proposals on the expressions with a target.

    Args:
        ann_file (str): A canonical annotation file.
        proposal_file (str): An mmvg proposals file.
        thresholds (Sequence[float]): IoU thresholds.
        offset (float): 1 for the +1-pixel IoU (VL-BERT's protocol).

    Returns:
        dict: ``recall@<thr>`` in percent for each threshold, plus
        ``expressions``, ``images without proposals`` and ``proposals per
        image`` (mean over the annotated images that have them).

    Raises:
        ValueError: When the files share no image.
    """
    _, records = load_canonical(ann_file)
    _, proposals = load_proposals(proposal_file)
    best: List[float] = []
    missing, counts = set(), {}
    for record in records:
        if record.get('no_target') or not record.get('bboxes'):
            continue
        image_id = int(record['image_id'])
        if image_id not in proposals:
            missing.add(image_id)
            best.append(0.)
            continue
        boxes, _ = proposals.get(image_id)
        counts[image_id] = len(boxes)
        iou = box_iou(boxes, np.asarray(record['bboxes'][:1]), offset=offset)
        best.append(float(iou.max()) if len(boxes) else 0.)
    if not counts:
        raise ValueError(f'{proposal_file} has no image of {ann_file} '
                         f'({len(missing)} annotated images)')
    best = np.asarray(best)
    result = {
        f'recall@{thr:g}': 100. * float((best >= thr).mean())
        for thr in thresholds
    }
    result.update({
        'expressions': len(best),
        'images without proposals': len(missing),
        'proposals per image': float(np.mean(list(counts.values())))
    })
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_file', help='canonical annotation file')
    parser.add_argument('proposal_file', help='mmvg proposals file')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=[0.5, 0.7, 0.9],
        help='IoU thresholds')
    parser.add_argument(
        '--legacy-plus-one',
        action='store_true',
        help='count box sides as x2 - x1 + 1 (VL-BERT\'s protocol)')
    args = parser.parse_args(argv)
    result = proposal_recall(args.ann_file, args.proposal_file,
                             args.thresholds,
                             1. if args.legacy_plus_one else 0.)
    for key, value in result.items():
        print(f'{key}: {value:.2f}' if isinstance(value, float
                                                  ) else f'{key}: {value}')


if __name__ == '__main__':
    main()
