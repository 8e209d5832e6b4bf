# Copyright (c) mmvg contributors. All rights reserved.
"""Named grounding datasets.

They read the same canonical files as :class:`VGDataset` and differ in
their ``METAINFO`` (the dataset name, the split schemes their importer
accepts), which configs, logs and the benchmark tables show.
"""
from mmvg.registry import DATASETS
from .vg_dataset import VGDataset


@DATASETS.register_module()
class RefCOCODataset(VGDataset):
    """RefCOCO (``unc``: train/val/testA/testB)."""

    METAINFO = dict(dataset='refcoco', split_by=('unc', 'google'))


@DATASETS.register_module()
class RefCOCOPlusDataset(VGDataset):
    """RefCOCO+ (``unc``: train/val/testA/testB)."""

    METAINFO = dict(dataset='refcoco+', split_by=('unc', ))


@DATASETS.register_module()
class RefCOCOgDataset(VGDataset):
    """RefCOCOg (``umd``: train/val/test; ``google``: train/val)."""

    METAINFO = dict(dataset='refcocog', split_by=('umd', 'google'))


@DATASETS.register_module()
class ReferItDataset(VGDataset):
    """ReferIt / RefCLEF (``berkeley``: train/val/test; ``unc``)."""

    METAINFO = dict(dataset='referit', split_by=('berkeley', 'unc'))


@DATASETS.register_module()
class Flickr30kEntitiesDataset(VGDataset):
    """Flickr30k Entities.

    In REC mode a record is one phrase with the merged box of its
    entities; in phrase-grounding mode a record is one sentence whose
    ``phrases`` carry the spans and all boxes of each phrase. Not named
    ``Flickr30kDataset``: that is mmdet's dataset of MDETR-style files,
    which mmdet configs build by that name (docs/en/compat.md).
    """

    METAINFO = dict(dataset='flickr30k', split_by=('entities', ))


@DATASETS.register_module()
class GRefCOCODataset(VGDataset):
    """gRefCOCO: zero, one or several targets per expression."""

    METAINFO = dict(dataset='grefcoco', split_by=('unc', ))


@DATASETS.register_module()
class MixedPretrainDataset(VGDataset):
    """The mixed pretraining set written by ``data_tools/merge_pretrain.py``.

    Its records' ``img_path`` values are relative to a common data root
    (``coco/train2014/...``, ``vg/...``, ``flickr30k/...``), and every image
    of a RefCOCO/+/g/gRefCOCO val or test split has been removed.
    """

    METAINFO = dict(dataset='mixed_pretrain', split_by=('mixed', ))
