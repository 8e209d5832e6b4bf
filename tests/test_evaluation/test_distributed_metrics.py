# Copyright (c) mmvg contributors. All rights reserved.
"""1 process and 2 processes (gloo, an odd split) give the same numbers."""
import importlib.util
import json
import textwrap

import pytest

from mmvg.testing import run_distributed

SCRIPT = textwrap.dedent('''
    import json
    import sys

    import numpy as np
    import pycocotools.mask as mask_utils
    import torch
    import torch.distributed as dist
    from torch.utils.data import DistributedSampler

    from mmvg.evaluation.metrics import (GRECMetric, GRESMetric,
                                         InconsistencyErrorMetric,
                                         PhraseGroundingMetric, RECMetric,
                                         RESMetric)

    NUM_SAMPLES = 7  # odd: the sampler pads rank 1 with a repeat


    def build_samples(min_targets):
        rng = np.random.default_rng(0)
        samples = []
        for i in range(NUM_SAMPLES):
            num_gt = int(rng.integers(min_targets, 3))
            xy = rng.uniform(0, 20, size=(num_gt, 2))
            gt = np.concatenate([xy, xy + rng.uniform(5, 15, (num_gt, 2))],
                                axis=1).astype(np.float32)
            pred = np.concatenate(
                [gt, rng.uniform(0, 20, (2, 4)).cumsum(axis=1)])
            pred[:num_gt] += rng.uniform(-2, 2, size=(num_gt, 4))
            gt_mask = np.zeros((16, 16), dtype=np.uint8)
            for x1, y1, x2, y2 in (gt / 2).astype(int):
                gt_mask[y1:y2, x1:x2] = 1
            pred_mask = rng.random((1, 16, 16)) < 0.05
            pred_mask[0] |= gt_mask.astype(bool) & (rng.random() < 0.7)
            samples.append(
                dict(
                    text=' '.join(['word'] * (i + 1)),
                    sent_id=i,
                    no_target=num_gt == 0,
                    ori_gt_bboxes=gt,
                    ori_gt_mask=mask_utils.encode(np.asfortranarray(gt_mask)),
                    pred_instances=dict(
                        bboxes=torch.as_tensor(pred, dtype=torch.float32),
                        scores=torch.as_tensor(
                            np.concatenate([
                                rng.uniform(0.6, 1.0, num_gt),
                                rng.uniform(0.1, 0.8, 2)
                            ]),
                            dtype=torch.float32),
                        masks=torch.as_tensor(pred_mask))))
        return samples


    def build_metrics():
        options = dict(length_buckets=(2, 4), by_num_targets=True)
        return [(RECMetric(**options), 1), (RESMetric(**options), 1),
                (PhraseGroundingMetric(**options), 1),
                (InconsistencyErrorMetric(**options), 1),
                (GRECMetric(**options), 0), (GRESMetric(**options), 0)]


    def evaluate(rank, world_size):
        results = {}
        for metric, min_targets in build_metrics():
            samples = build_samples(min_targets)
            sampler = DistributedSampler(
                range(NUM_SAMPLES), num_replicas=world_size, rank=rank,
                shuffle=False)
            indices = list(sampler)
            for start in range(0, len(indices), 2):  # batches of 2
                batch = [samples[i] for i in indices[start:start + 2]]
                metric.process(None, batch)
            results.update(metric.evaluate(NUM_SAMPLES))
        return results


    if __name__ == '__main__':
        dist.init_process_group(backend='gloo')
        metrics = evaluate(dist.get_rank(), dist.get_world_size())
        if dist.get_rank() == 0:
            with open(sys.argv[1], 'w') as f:
                json.dump(metrics, f)
        dist.destroy_process_group()
''')


@pytest.mark.distributed
def test_one_and_two_processes_agree(tmp_path):
    script = tmp_path / 'evaluate_split.py'
    script.write_text(SCRIPT)
    out_file = tmp_path / 'metrics.json'
    run_distributed(script, [out_file])
    two_processes = json.loads(out_file.read_text())

    spec = importlib.util.spec_from_file_location('evaluate_split', script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    one_process = module.evaluate(rank=0, world_size=1)

    assert len(one_process) > 40
    assert two_processes == one_process
    # The split is not trivial: some metrics are neither 0 nor 100.
    assert any(0 < v < 100 for v in one_process.values())
