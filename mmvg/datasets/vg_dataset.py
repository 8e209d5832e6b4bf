# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp
import warnings
from collections import OrderedDict
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from mmvg.registry import DATASETS
from .canonical import index_jsonl, load_canonical, read_jsonl_record
from .proposals import Proposals, load_proposals

SAMPLING_MODES = ('expression', 'ref')
NAME_MISMATCH_MODES = ('warn', 'error')
MISSING_PROPOSALS_MODES = ('error', 'whole_image')


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

    With ``proposal_file`` every sample also carries its image's region
    proposals (``proposals`` (K, 4) xyxy float32 in original pixels and
    ``proposals_scores`` (K, )), for ``LoadVGProposals``. Several files
    are united per image, in the order given (VL-BERT trains on the
    detections plus every ground-truth box of the image). The boxes are
    clipped to the image and those left without area dropped, counted
    in one warning. An annotated image without any proposal fails,
    naming it, unless ``missing_proposals='whole_image'`` (then it is
    counted in a warning and ``LoadVGProposals`` gives it only the
    whole-image box); a file that shares no image with the annotation
    fails with both counts.

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
        proposal_file (str | list[str], optional): Proposals files
            (``docs/en/dataset_format.md``), relative to ``data_root``
            unless absolute. Defaults to None.
        missing_proposals (str): ``'error'`` or ``'whole_image'`` for an
            annotated image without proposals. Defaults to ``'error'``.
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
                 proposal_file: Optional[Union[str, Sequence[str]]] = None,
                 missing_proposals: str = 'error',
                 **kwargs) -> None:
        if sampling not in SAMPLING_MODES:
            raise ValueError(f'sampling must be one of {SAMPLING_MODES}, '
                             f'got {sampling!r}')
        if dataset_name_mismatch not in NAME_MISMATCH_MODES:
            raise ValueError('dataset_name_mismatch must be one of '
                             f'{NAME_MISMATCH_MODES}, got '
                             f'{dataset_name_mismatch!r}')
        if missing_proposals not in MISSING_PROPOSALS_MODES:
            raise ValueError('missing_proposals must be one of '
                             f'{MISSING_PROPOSALS_MODES}, got '
                             f'{missing_proposals!r}')
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs an ann_file.')
        if isinstance(proposal_file, str):
            proposal_file = [proposal_file]
        self.proposal_files = list(proposal_file or [])
        self.missing_proposals = missing_proposals
        self.proposals: Optional[Proposals] = None
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
        self.proposal_files = [
            path if osp.isabs(path) or not self.data_root else osp.join(
                self.data_root, path) for path in self.proposal_files
        ]
        for path in self.proposal_files:
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{type(self).__name__}: proposals file {path} does not '
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
                and not self.drop_invalid_records and not self.proposal_files)

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
        if self.proposal_files:
            self.proposals = self._load_proposals(records)
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

    def _load_proposals(self, records: List[dict]) -> Proposals:
        """The proposals of the annotated images; see the class
        docstring."""
        images = OrderedDict()
        for rec in records:
            images.setdefault(int(rec['image_id']), rec)
        loaded = [load_proposals(path)[1] for path in self.proposal_files]
        for path, file_proposals in zip(self.proposal_files, loaded):
            if not any(image_id in file_proposals for image_id in images):
                raise ValueError(
                    f'Proposals file {path} shares no image with '
                    f'{self.ann_file}: {len(file_proposals)} images there, '
                    f'{len(images)} here, 0 in common (proposals of another '
                    'dataset or split, or ids of another kind?).')
        kept, dropped, missing = OrderedDict(), 0, []
        for image_id, rec in images.items():
            parts = [file_proposals.get(image_id) for file_proposals in loaded]
            boxes = np.concatenate([part[0] for part in parts])
            scores = np.concatenate([part[1] for part in parts])
            boxes = boxes.clip(0, [rec['width'], rec['height']] * 2)
            valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
            dropped += int((~valid).sum())
            if valid.any():
                kept[image_id] = (boxes[valid], scores[valid])
            else:
                missing.append(rec)
        files = ', '.join(self.proposal_files)
        if dropped:
            warnings.warn(f'{type(self).__name__}: dropped {dropped} '
                          'proposals without area (after clipping to the '
                          f'image) from {files}.')
        if missing:
            first = missing[0]
            summary = (f'{len(missing)} of the {len(images)} images of '
                       f'{self.ann_file} have no proposal in {files}')
            if self.missing_proposals == 'error':
                raise ValueError(
                    f'{summary}, the first image_id={first["image_id"]} '
                    f'({first["img_path"]}); pass '
                    "missing_proposals='whole_image' to rank only the "
                    'whole-image box there.')
            warnings.warn(f'{summary}: they get only the whole-image box.')
        return Proposals.from_lists(kept)

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
        if self.proposals is not None:
            boxes, scores = self.proposals.get(info['image_id'])
            info['proposals'] = boxes.copy()
            info['proposals_scores'] = scores.copy()
        expressions = info.pop('expressions', None)
        if expressions is not None:
            info.update(expressions[np.random.randint(len(expressions))])
        # Transforms clean and flip ``text``; ``ori_text`` keeps the record's.
        info['ori_text'] = info['text']
        return info
