# Copyright (c) mmvg contributors. All rights reserved.
"""A toy grounder, dataset and metric for the runner and launcher tests.

Registered only when imported, e.g. by a config's
``custom_imports = dict(imports=['mmvg.testing.toy'])``. They exercise the
registries, data samples and runner paths of a real config in a fraction
of a second per epoch.
"""
import os
import signal

import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch.utils.data import Dataset

from mmvg.registry import DATASETS, HOOKS, METRICS, MODELS
from mmvg.structures import VGDataSample


@DATASETS.register_module()
class ToyGroundingDataset(Dataset):
    """Random 8x8 images whose target box is a linear function of them.

    Args:
        num_samples (int): Number of records.
        seed (int): Seed of the images.
    """

    def __init__(self, num_samples: int = 16, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.images = torch.rand(num_samples, 3, 8, 8, generator=generator)
        weight = torch.rand(
            3 * 8 * 8, 4, generator=torch.Generator().manual_seed(1234))
        self.boxes = self.images.flatten(1) @ weight / 8
        self.metainfo = dict(dataset_name='toy')

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        sample = VGDataSample(
            metainfo=dict(text='the toy', ori_text='The toy', sent_id=index))
        # Token ids in the sample, as a text preprocessor leaves them: the
        # grounder checks that every strategy keeps them integers.
        sample.tokens = dict(input_ids=torch.tensor([101, 7, 102]))
        sample.gt_instances = InstanceData(bboxes=self.boxes[index:index + 1])
        return dict(inputs=self.images[index], data_samples=sample)


@MODELS.register_module()
class ToyGrounder(BaseModel):
    """One linear layer from the pixels to a box.

    Args:
        data_preprocessor (dict, optional): The data preprocessor.
    """

    def __init__(self, data_preprocessor: dict = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.box = torch.nn.Linear(3 * 8 * 8, 4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        boxes = self.box(inputs.flatten(1).float())
        if mode == 'tensor':
            return boxes
        if mode == 'loss':
            target = torch.cat([s.gt_instances.bboxes for s in data_samples])
            # Token ids must reach the model as integers under every
            # strategy (DeepSpeed casts only ``inputs``).
            assert all(not s.tokens['input_ids'].is_floating_point()
                       for s in data_samples)
            return dict(loss_box=(boxes - target.to(boxes)).abs().mean())
        for sample, box in zip(data_samples, boxes):
            sample.pred_instances = InstanceData(
                bboxes=box[None].float(), scores=box.new_ones(1).float())
        return data_samples


@METRICS.register_module()
class ToyBoxError(BaseMetric):
    """Mean absolute error of the predicted box (``box_error``)."""

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            pred = sample['pred_instances']['bboxes'].cpu()
            gt = sample['gt_instances']['bboxes'].cpu()
            self.results.append(float((pred - gt).abs().mean()))

    def compute_metrics(self, results: list) -> dict:
        return dict(box_error=sum(results) / len(results))


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL the process after a training iteration, as a crash would.

    Args:
        kill_iter (int): The 1-based iteration after which to die; 0 never
            kills.
    """

    def __init__(self, kill_iter: int) -> None:
        self.kill_iter = kill_iter

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.kill_iter:
            os.kill(os.getpid(), signal.SIGKILL)
