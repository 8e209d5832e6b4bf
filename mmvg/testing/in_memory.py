# Copyright (c) mmvg contributors. All rights reserved.
"""An in-memory grounding dataset for the scale-out and recipe tests.

Registered only when imported, e.g. by a config's
``custom_imports = dict(imports=['mmvg.testing.in_memory'])``. It yields
what ``PackVGInputs`` gives for a real record (uint8 image, expression,
boxes, a mask and the original-frame ground truth), so the real grounders
train and evaluate on it without files on disk.
"""
import numpy as np
import pycocotools.mask as mask_util
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData
from torch.utils.data import Dataset

from mmvg.registry import DATASETS
from mmvg.structures import VGDataSample

# Every word of the expressions; ``tests/data/scale_out/vocab.json`` holds
# them for the tiny models' word tokenizer.
WORDS = ('the', 'bright', 'box', 'on', 'left', 'right', 'top', 'bottom')


@DATASETS.register_module()
class InMemoryVGDataset(Dataset):
    """Images with one bright rectangle, the target of its expression.

    The expression names the side and the half the box is in
    (``'the bright box on the left top'``).

    Args:
        num_samples (int): Number of records.
        size (int): Image height and width.
        seed (int): Seed of the records.
        with_proposals (bool): Add region proposals for two-stage models:
            the whole image, the target box moved by up to 2 pixels, and
            two random boxes. Defaults to False.
    """

    def __init__(self,
                 num_samples: int = 8,
                 size: int = 64,
                 seed: int = 0,
                 with_proposals: bool = False) -> None:
        self.num_samples = num_samples
        self.size = size
        self.seed = seed
        self.with_proposals = with_proposals
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
        side = 'left' if x1 + x2 < s else 'right'
        half = 'top' if y1 + y2 < s else 'bottom'
        text = f'the bright box on the {side} {half}'
        sample = VGDataSample(
            metainfo=dict(
                text=text,
                ori_text=text.capitalize(),
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
        sample.gt_instances = InstanceData(
            bboxes=torch.from_numpy(box),
            labels=torch.zeros(1, dtype=torch.long),
            masks=BitmapMasks(mask[None], s, s))
        if self.with_proposals:
            corners = rng.randint(0, s // 2, (2, 2))
            others = np.concatenate([corners, corners + s // 2], axis=1)
            boxes = np.concatenate([[[0, 0, s, s]],
                                    box + rng.uniform(-2, 2, (1, 4)), others])
            sample.proposals = InstanceData(
                bboxes=torch.tensor(boxes, dtype=torch.float32),
                scores=torch.ones(len(boxes)))
        return dict(inputs=torch.from_numpy(image), data_samples=sample)
