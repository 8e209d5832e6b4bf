# Copyright (c) mmvg contributors. All rights reserved.
"""Image decoding failures in the dataset pipeline name the record."""
import os.path as osp

import cv2
import numpy as np
import pytest

from mmvg.datasets import VGDataset, dump_canonical
from mmvg.registry import TRANSFORMS
from mmvg.utils import register_all_modules

register_all_modules()

HEIGHT, WIDTH = 48, 64
# The image of each record: whole, zero bytes, cut mid-scan, missing.
IMAGES = ('good.jpg', 'empty.jpg', 'truncated.jpg', 'missing.jpg')


@pytest.fixture
def broken_images(tmp_path):
    """A canonical file whose records (sent_id 10 + index, ref_id 20 +
    index) point at a good, a zero-byte, a truncated and a missing JPEG;
    the last three stand for images that arrived after an import with
    ``--no-image-check``."""
    noise = np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH, 3),
                                              np.uint8)
    cv2.imwrite(str(tmp_path / 'good.jpg'), noise)
    data = (tmp_path / 'good.jpg').read_bytes()
    (tmp_path / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'truncated.jpg').write_bytes(data[:len(data) // 2])
    records = [
        dict(
            img_path=name,
            height=HEIGHT,
            width=WIDTH,
            image_id=index,
            ref_id=20 + index,
            sent_id=10 + index,
            text='the noisy square',
            bboxes=[[1.0, 1.0, 10.0, 10.0]],
            no_target=False) for index, name in enumerate(IMAGES)
    ]
    ann_file = str(tmp_path / 'refcoco_unc_val.json')
    dump_canonical(ann_file, dict(dataset='refcoco', split='val'), records)
    return str(tmp_path), ann_file


def _dataset(root, ann_file, loader='LoadVGImage'):
    return VGDataset(
        data_root=root,
        ann_file=ann_file,
        test_mode=True,
        pipeline=[
            dict(type=loader),
            dict(type='LoadVGAnnotations'),
            dict(type='PackVGInputs')
        ])


@pytest.mark.parametrize('index,error', [(1, OSError), (2, OSError),
                                         (3, FileNotFoundError)])
def test_unreadable_image_names_file_and_record(index, error, broken_images):
    """A zero-byte file (a bare ``cv2.error`` from mmcv), a truncated one
    (``failed to load image: <path>``) and a missing one each give one
    error naming the file, ``sent_id`` and ``ref_id``."""
    root, ann_file = broken_images
    with pytest.raises(error) as err:
        _dataset(root, ann_file)[index]
    message = str(err.value)
    assert message.startswith(
        f'Cannot load image {osp.join(root, IMAGES[index])} (')
    assert f'sent_id={10 + index}' in message
    assert f'ref_id={20 + index}' in message
    assert err.value.__cause__ is not None  # the decoder's own error


def test_good_image_loads_as_with_mmcv(broken_images):
    """Same arguments and results as mmcv's ``LoadImageFromFile``."""
    root, _ = broken_images
    results = dict(img_path=osp.join(root, 'good.jpg'))
    for kwargs in (dict(), dict(to_float32=True, color_type='grayscale')):
        ours = TRANSFORMS.build(dict(type='LoadVGImage', **kwargs))(
            dict(results))
        mmcv = TRANSFORMS.build(dict(type='LoadImageFromFile', **kwargs))(
            dict(results))
        assert ours.keys() == mmcv.keys()
        np.testing.assert_array_equal(ours['img'], mmcv['img'])
        assert ours['img_shape'] == mmcv['img_shape'] == (HEIGHT, WIDTH)


def test_mmdet_loader_still_works(broken_images):
    """A config from mmdet that keeps ``LoadImageFromFile`` trains as
    before (its errors just do not name the record)."""
    root, ann_file = broken_images
    sample = _dataset(root, ann_file, loader='LoadImageFromFile')[0]
    assert tuple(sample['inputs'].shape) == (3, HEIGHT, WIDTH)
