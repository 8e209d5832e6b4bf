# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp
from typing import Sequence

import mmcv
import numpy as np
from mmdet.engine.hooks import DetVisualizationHook
from mmengine.dist import is_main_process
from mmengine.fileio import get
from mmengine.utils import mkdir_or_exist

from mmvg.registry import HOOKS
from mmvg.structures import VGDataSample, record_name


@HOOKS.register_module()
class VGVisualizationHook(DetVisualizationHook):
    """mmdet's ``DetVisualizationHook`` for grounding samples.

    Same arguments and validation behaviour (every ``interval`` iterations
    the first sample of the batch goes to the vis backends). In testing
    (``tools/test.py --show-dir``) it differs where grounding needs it:

    - one picture per expression, named ``<image stem>_<sent_id><ext>``:
      mmdet names a picture after its image, so the expressions of one
      image overwrote each other;
    - ``test_out_dir`` is resolved once, under
      ``<work_dir>/<timestamp>/``;
    - an image that cannot be read is an error naming the file and the
      record.

    As with every mmengine visualizer, only the main process draws: a
    distributed test saves the pictures of rank 0's share of the samples.
    """

    def before_test(self, runner) -> None:
        if self.draw and self.test_out_dir is not None:
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp,
                                         self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[VGDataSample]) -> None:
        if not self.draw or not is_main_process():
            return
        for sample in outputs:
            self._test_index += 1
            image = self._load_image(sample)
            out_file = None
            if self.test_out_dir is not None:
                out_file = osp.join(self.test_out_dir,
                                    _picture_name(sample, self._test_index))
            self._visualizer.add_datasample(
                osp.basename(sample.img_path) if self.show else 'test_img',
                image,
                data_sample=sample,
                show=self.show,
                wait_time=self.wait_time,
                pred_score_thr=self.score_thr,
                out_file=out_file,
                step=self._test_index)

    def _load_image(self, sample: VGDataSample) -> np.ndarray:
        """The sample's original image, RGB."""
        meta = sample.metainfo
        if 'img_path' not in meta:
            raise KeyError('Drawing needs the image: the sample has no '
                           f'img_path: {record_name(meta)}')
        try:
            img_bytes = get(meta['img_path'], backend_args=self.backend_args)
            image = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            if image is None:
                raise OSError('the decoder returned no image')
            return image
        except Exception as e:  # the decoders raise assorted types
            error = FileNotFoundError if isinstance(
                e, FileNotFoundError) else OSError
            raise error(f'Cannot read {meta["img_path"]} to draw it: '
                        f'{e}; {record_name(meta)}') from e


def _picture_name(sample: VGDataSample, index: int) -> str:
    """``<image stem>_<sent_id><ext>`` (the test index without sent_id)."""
    stem, ext = osp.splitext(osp.basename(sample.img_path))
    return f'{stem}_{sample.metainfo.get("sent_id", index)}{ext or ".jpg"}'
