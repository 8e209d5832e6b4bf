# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp
import warnings
from collections import OrderedDict
from typing import List, Optional

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from mmvg.registry import DATASETS
from .canonical import index_jsonl, load_canonical, read_jsonl_record

SAMPLING_MODES = ('expression', 'ref')
NAME_MISMATCH_MODES = ('warn', 'error')


@DATASETS.register_module()
class VGDataset(BaseDataset):
    """A grounding dataset read from a canonical mmvg annotation file.

    Every record of the file is one (image, expression) pair (see
    ``docs/en/dataset_format.md``). Evaluation (``test_mode=True``) always
    yields every expression exactly once, in file order. For training,
    ``sampling='ref'`` groups the expressions of one referred object (same
    ``image_id`` and ``ref_id``) into one sample and draws one of them at
    random each time the sample is read, as the refer-based codebases do
    (records are grouped by ``source``, ``image_id`` and ``ref_id``);
    an epoch is then one pass over the objects rather than the sentences.

    A ``.jsonl`` file is not parsed at start-up: its record lines are
    indexed in one byte buffer shared by the dataloader workers and
    decoded when read, so a million expressions load in seconds (per-ref
    sampling, ``filter_cfg`` and ``drop_invalid_records`` need every
    record and parse the file).

    The file's record count and hash are checked when it is loaded, and
    every record's values when it is read (at load time, or for an
    indexed ``.jsonl`` file when the sample is drawn); see
    ``docs/en/dataset_format.md``.

    The metainfo is the file's, over the class's ``METAINFO`` (which
    names the dataset the class is for), under an explicit ``metainfo``
    argument. A file whose ``dataset`` differs from the class's warns
    naming both, or fails with ``dataset_name_mismatch='error'``; the
    metainfo then reports the file's dataset.

    Unlike mmengine's datasets, missing paths are reported when the
    dataset object is built, even with ``lazy_init=True``, so a wrong
    ``data_root`` fails before training starts rather than after the
    first epoch when the validation set is loaded.

    Args:
        ann_file (str): The canonical file (``.json`` or ``.jsonl``),
            relative to ``data_root`` unless absolute.
        data_root (str): The root of images and annotations.
        data_prefix (dict): ``img`` is the image directory, relative to
            ``data_root``; record ``img_path`` values are relative to it.
            Defaults to ``dict(img='')``.
        sampling (str): ``'expression'`` or ``'ref'`` (training only).
            Defaults to ``'expression'``.
        filter_cfg (dict, optional): ``filter_no_target=True`` drops
            records without target (for REC training on gRefCOCO).
        drop_invalid_records (bool): Drop the records that fail the value
            checks, with one warning giving their number, instead of
            failing on the first. Defaults to False.
        dataset_name_mismatch (str): ``'warn'`` or ``'error'`` when the
            file's ``dataset`` is not the class's. Defaults to ``'warn'``.
        metainfo (dict, optional): Overrides the file's and the class's
            metainfo.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``test_mode``, ``lazy_init``, ``serialize_data``,
            ``indices``).
    """

    METAINFO: dict = dict()

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 sampling: str = 'expression',
                 filter_cfg: Optional[dict] = None,
                 drop_invalid_records: bool = False,
                 dataset_name_mismatch: str = 'warn',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if sampling not in SAMPLING_MODES:
            raise ValueError(f'sampling must be one of {SAMPLING_MODES}, '
                             f'got {sampling!r}')
        if dataset_name_mismatch not in NAME_MISMATCH_MODES:
            raise ValueError('dataset_name_mismatch must be one of '
                             f'{NAME_MISMATCH_MODES}, got '
                             f'{dataset_name_mismatch!r}')
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs an ann_file.')
        self.sampling = sampling
        self.drop_invalid_records = drop_invalid_records
        self.dataset_name_mismatch = dataset_name_mismatch
        self._explicit_metainfo = dict(metainfo or {})
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            filter_cfg=filter_cfg,
            metainfo=metainfo,
            **kwargs)

    def _join_prefix(self) -> None:
        if self.data_root and not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data_root {self.data_root} does not '
                'exist (see docs/en/prepare_data.md).')
        super()._join_prefix()
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {self.ann_file} '
                'does not exist (see docs/en/prepare_data.md).')
        img_dir = self.data_prefix.get('img', '')
        if img_dir and not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: image directory {img_dir} does not '
                'exist (see docs/en/prepare_data.md).')

    @property
    def groups_refs(self) -> bool:
        """Whether one sample is one object with several expressions."""
        return self.sampling == 'ref' and not self.test_mode

    @property
    def _streams_lines(self) -> bool:
        # A JSON-lines file is indexed, not parsed, when nothing needs
        # every record up front: each sample is its own line of the
        # shared byte buffer, decoded when read.
        return (self.ann_file.endswith('.jsonl') and self.serialize_data
                and not self.groups_refs and not self.filter_cfg
                and not self.drop_invalid_records)

    def _adopt_file_metainfo(self, file_metainfo: dict) -> None:
        """Merge the file's metainfo; see the class docstring."""
        declared = type(self).METAINFO.get('dataset')
        found = file_metainfo.get('dataset')
        if (declared and found and declared != found
                and 'dataset' not in self._explicit_metainfo):
            message = (f'{type(self).__name__} is for {declared!r}, but '
                       f'{self.ann_file} holds {found!r}')
            advice = ('use the dataset class of the file, or pass '
                      'metainfo=dict(dataset=...)')
            if self.dataset_name_mismatch == 'error':
                raise ValueError(f'{message}: {advice}.')
            warnings.warn(f'{message}; its metainfo reports {found!r} '
                          f'({advice} to silence this).')
        for key, value in file_metainfo.items():
            if key not in self._explicit_metainfo:
                self._metainfo[key] = value

    def full_init(self) -> None:
        """Load the annotations; see the class docstring."""
        if self._fully_initialized:
            return
        if not self._streams_lines:
            super().full_init()
            return
        metainfo, self.data_bytes, self.data_address = index_jsonl(
            self.ann_file)
        self._adopt_file_metainfo(metainfo)
        # Set first: the subset helper calls ``len``, which would re-enter.
        self._fully_initialized = True
        if self._indices is not None:
            self.data_bytes, self.data_address = \
                self._get_serialized_subset(self._indices)

    def load_data_list(self) -> List[dict]:
        """Read the canonical file; see :func:`load_canonical`."""
        metainfo, records = load_canonical(self.ann_file,
                                           self.drop_invalid_records)
        self._adopt_file_metainfo(metainfo)
        if not self.groups_refs:
            return records
        groups: 'OrderedDict[tuple, dict]' = OrderedDict()
        for rec in records:
            # ``source`` tells merged datasets apart (RefCOCO and RefCOCO+
            # share image and ref ids).
            key = (rec.get('source'), rec['image_id'], rec['ref_id'])
            expression = dict(text=rec.pop('text'), sent_id=rec.pop('sent_id'))
            if key in groups:
                groups[key]['expressions'].append(expression)
            else:
                rec['expressions'] = [expression]
                groups[key] = rec
        return list(groups.values())

    def filter_data(self) -> List[dict]:
        """Drop no-target records when ``filter_no_target`` is set."""
        if self.filter_cfg and self.filter_cfg.get('filter_no_target'):
            return [d for d in self.data_list if not d['no_target']]
        return self.data_list

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Return a record with its full image path; in per-ref mode with
        a randomly drawn sentence.

        The draw uses numpy's global generator, which mmengine seeds per
        worker, so runs with a fixed seed repeat.
        """
        if self._streams_lines:
            info = read_jsonl_record(self.data_bytes, self.data_address, idx,
                                     self.ann_file)
            info['sample_idx'] = idx if idx >= 0 else len(self) + idx
        else:
            info = super().get_data_info(idx)
        img_dir = self.data_prefix.get('img', '')
        if img_dir:
            info['img_path'] = osp.join(img_dir, info['img_path'])
        expressions = info.pop('expressions', None)
        if expressions is not None:
            info.update(expressions[np.random.randint(len(expressions))])
        # Transforms clean and flip ``text``; ``ori_text`` keeps the record's.
        info['ori_text'] = info['text']
        return info
