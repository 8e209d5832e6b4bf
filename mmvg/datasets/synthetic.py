# Copyright (c) mmvg contributors. All rights reserved.
"""The synthetic shapes dataset, written on first use.

The generator, the importer and the vocabulary builder are data-tool
code (:mod:`mmvg.datasets.importers.synthetic`); this module only calls
their one entry point, :func:`prepare_synthetic`, when files are missing.
"""
from mmengine.dist import barrier, get_rank

from mmvg.registry import DATASETS
from .importers.synthetic import prepare_synthetic
from .vg_dataset import VGDataset

__all__ = ['SyntheticDataset', 'prepare_synthetic']


@DATASETS.register_module()
class SyntheticDataset(VGDataset):
    """The synthetic shapes dataset, written on first use.

    When ``generate_if_missing`` is set and the canonical files or the
    vocabulary under ``data_root`` are missing,
    :func:`mmvg.datasets.importers.synthetic.prepare_synthetic` writes
    them first (on rank 0; the other ranks wait, so ``data_root`` must be
    on a file system all ranks share). ``python data_tools/make_synthetic.py
    --prepare`` writes the same files ahead of time.

    Args:
        generate_if_missing (bool): Whether to write missing files.
            Defaults to True.
        num_images (int): Images to generate. Defaults to 2000.
        seed (int): Random seed of the generator. Defaults to 0.
        grefcoco (bool): Also write the gRefCOCO-style variant
            (``annotations/grefcoco/synthetic_unc_<split>.json``: multi-
            and no-target expressions), which this dataset then reads
            through ``ann_file``. Defaults to False.
        **kwargs: The arguments of :class:`VGDataset`.
    """

    METAINFO = dict(dataset='synthetic', split_by=('unc', ))

    def __init__(self,
                 *,
                 generate_if_missing: bool = True,
                 num_images: int = 2000,
                 seed: int = 0,
                 grefcoco: bool = False,
                 **kwargs) -> None:
        if generate_if_missing:
            if get_rank() == 0:
                prepare_synthetic(
                    kwargs.get('data_root', ''),
                    num_images=num_images,
                    seed=seed,
                    grefcoco=grefcoco)
            barrier()
        super().__init__(**kwargs)
