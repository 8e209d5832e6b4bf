# Copyright (c) mmvg contributors. All rights reserved.
import json
import random
import textwrap

import pytest
import torch
from mmcv.transforms import Compose

from mmvg.models.data_preprocessors import (BatchMultiScaleResize,
                                            VGDataPreprocessor)
from mmvg.models.heads.base_vg_head import first_gt_boxes
from mmvg.models.utils import boxes_to_original
from mmvg.registry import MODELS
from mmvg.testing import demo_vg_record, run_distributed
from mmvg.utils import register_all_modules

register_all_modules()

# (h, w, xyxy box) of two originals: landscape and portrait
IMAGES = ((208, 416, (30, 20, 150, 90)), (416, 312, (40, 100, 200, 380)))


def _packed(h, w, box):
    """A dark image with a white rectangle, letterboxed to 416 without
    resampling (long side 416), so that the object is the white pixels."""
    return Compose([
        dict(type='LoadVGAnnotations', with_mask=True),
        dict(type='LetterBox', size=416),
        dict(type='PackVGInputs')
    ])(
        demo_vg_record(h, w, (box, )))


def _preprocess(sizes, training=True, **kwargs):
    packed = [_packed(*image) for image in IMAGES]
    preprocessor = VGDataPreprocessor(
        mean=[0, 0, 0],
        std=[255, 255, 255],
        bgr_to_rgb=True,
        batch_augments=[
            dict(type='BatchMultiScaleResize', sizes=sizes, **kwargs)
        ])
    return preprocessor(
        dict(
            inputs=[p['inputs'] for p in packed],
            data_samples=[p['data_samples'] for p in packed]), training)


@pytest.mark.parametrize('size', [224, 288, 608])
def test_targets_masks_and_geometry_follow_the_batch(size):
    data = _preprocess([size])
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape == (2, 3, size, size)
    metas = [s.metainfo for s in samples]
    gts = [s.gt_instances for s in samples]
    # the head's targets (normalised to the batch) land on the object
    boxes = first_gt_boxes(gts, metas, 'test') * size
    for image, box, gt, sample, (h, w, ori_box) in zip(inputs, boxes, gts,
                                                       samples, IMAGES):
        white = (image == 1).all(dim=0)
        ys, xs = torch.nonzero(white, as_tuple=True)
        found = torch.stack([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        assert torch.allclose(box, found.float(), atol=1.0)
        # gt masks are resized with the image: they are the object
        mask = torch.from_numpy(gt.masks.masks[0]).bool()
        assert mask.shape == (size, size)
        assert torch.equal(mask, white)
        # the padding mask is the grey letterbox padding
        assert torch.equal(sample.pixel_mask, (image == 127 / 255).all(dim=0))
        # predictions in this frame still map back to the original image
        back = boxes_to_original(gt.bboxes, sample.metainfo)
        assert torch.allclose(back, torch.tensor([ori_box]).float(), atol=1e-3)
        assert sample.batch_input_shape == (size, size)


def test_sizes_are_drawn_per_batch_from_the_list():
    random.seed(0)
    resize = BatchMultiScaleResize(sizes=list(range(224, 609, 32)))
    drawn = set()
    for _ in range(40):
        inputs, _ = resize(torch.zeros(1, 3, 416, 416), [])
        assert inputs.shape[-1] == inputs.shape[-2]
        drawn.add(inputs.shape[-1])
    assert drawn <= set(range(224, 609, 32)) and len(drawn) > 5


def test_interval_keeps_a_size_for_that_many_batches():
    random.seed(1)
    resize = BatchMultiScaleResize(sizes=[(224, 320), 256, 288], interval=3)
    shapes = [
        tuple(resize(torch.zeros(1, 3, 64, 64), [])[0].shape[-2:])
        for _ in range(9)
    ]
    for start in (0, 3, 6):
        assert len(set(shapes[start:start + 3])) == 1
    assert set(shapes) <= {(224, 320), (256, 256), (288, 288)}


def test_only_in_training_and_built_from_the_registry():
    data = _preprocess([224], training=False)
    assert data['inputs'].shape[-2:] == (416, 416)
    assert isinstance(
        MODELS.build(dict(type='BatchMultiScaleResize', sizes=[224])),
        BatchMultiScaleResize)
    with pytest.raises(ValueError, match='at least one size'):
        BatchMultiScaleResize(sizes=[])


SYNC_SCRIPT = textwrap.dedent('''
    import json
    import random
    import sys

    import torch
    import torch.distributed as dist

    from mmvg.models.data_preprocessors import BatchMultiScaleResize

    dist.init_process_group(backend='gloo')
    rank = dist.get_rank()
    random.seed(rank)  # ranks draw differently unless the size is synced
    resize = BatchMultiScaleResize(sizes=list(range(224, 609, 32)))
    sides = [resize(torch.zeros(1, 3, 32, 32), [])[0].shape[-1]
             for _ in range(10)]
    gathered = [None, None]
    dist.all_gather_object(gathered, sides)
    if rank == 0:
        with open(sys.argv[1], 'w') as f:
            json.dump(gathered, f)
    dist.destroy_process_group()
''')


@pytest.mark.distributed
def test_every_rank_trains_at_the_same_size(tmp_path):
    script = tmp_path / 'draw_sizes.py'
    script.write_text(SYNC_SCRIPT)
    out_file = tmp_path / 'sizes.json'
    run_distributed(script, [out_file])
    rank0, rank1 = json.loads(out_file.read_text())
    assert rank0 == rank1 and len(set(rank0)) > 1
