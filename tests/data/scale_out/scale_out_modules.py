# Copyright (c) mmvg contributors. All rights reserved.
"""An in-memory grounding dataset and test hooks for the scale-out tests.

The dataset yields what ``PackVGInputs`` gives for a real record (uint8
image, tokens, boxes, a mask and the original-frame ground truth), so the
real VLTVG and LAVT train and evaluate on it without files on disk.
"""
import os
import signal

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.hooks import Hook
from mmengine.structures import InstanceData
from torch.utils.data import Dataset

from mmvg.registry import DATASETS, HOOKS
from mmvg.structures import VGDataSample


@DATASETS.register_module()
class InMemoryVGDataset(Dataset):
    """Images with one bright rectangle, the target of a random expression.

    Args:
        num_samples (int): Number of records.
        size (int): Image height and width.
        num_tokens (int): Token ids per expression (1 to ``vocab - 1``).
        vocab (int): Vocabulary size of the model's text encoder.
        seed (int): Seed of the records.
    """

    def __init__(self,
                 num_samples: int = 8,
                 size: int = 64,
                 num_tokens: int = 6,
                 vocab: int = 32,
                 seed: int = 0) -> None:
        self.num_samples = num_samples
        self.size = size
        self.num_tokens = num_tokens
        self.vocab = vocab
        self.seed = seed
        self.metainfo = dict(dataset_name='in_memory')

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> dict:
        rng = np.random.RandomState(self.seed * 1000 + index)
        s = self.size
        x1, y1 = rng.randint(0, s // 2, 2)
        x2, y2 = x1 + rng.randint(8, s // 2), y1 + rng.randint(8, s // 2)
        image = rng.randint(0, 64, (3, s, s)).astype(np.uint8)
        image[:, y1:y2, x1:x2] = 255
        mask = np.zeros((s, s), dtype=np.uint8)
        mask[y1:y2, x1:x2] = 1
        box = np.array([[x1, y1, x2, y2]], dtype=np.float32)
        sample = VGDataSample(
            metainfo=dict(
                text='the bright box',
                img_path=f'in_memory_{index}.jpg',
                ori_shape=(s, s),
                img_shape=(s, s),
                pad_shape=(s, s),
                scale_factor=(1.0, 1.0),
                flip=False,
                flip_direction=None,
                image_id=index,
                ref_id=index,
                sent_id=index,
                no_target=False,
                ori_gt_bboxes=box,
                ori_gt_mask=mask_util.encode(np.asfortranarray(mask))))
        ids = torch.as_tensor(
            rng.randint(1, self.vocab, self.num_tokens), dtype=torch.long)
        sample.tokens = dict(
            input_ids=ids, attention_mask=torch.ones_like(ids))
        sample.gt_instances = InstanceData(
            bboxes=torch.from_numpy(box),
            labels=torch.zeros(1, dtype=torch.long),
            masks=BitmapMasks(mask[None], s, s))
        return dict(inputs=torch.from_numpy(image), data_samples=sample)


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL the process after a training iteration, as a crash would.

    Args:
        kill_iter (int): The 1-based iteration after which to die.
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
