# Copyright (c) mmvg contributors. All rights reserved.
# mmdet's transforms and samplers are built by bare name in mmvg pipelines.
import mmdet.datasets  # noqa: F401

from .canonical import dump_canonical, load_canonical
from .named_datasets import (Flickr30kEntitiesDataset, GRefCOCODataset,
                             MixedPretrainDataset, RefCOCODataset,
                             RefCOCOgDataset, RefCOCOPlusDataset,
                             ReferItDataset)
from .synthetic import SyntheticDataset, prepare_synthetic
from .tokenizers import (BEiT3Tokenizer, HFTokenizer, WordVocabTokenizer,
                         build_word_vocab)
from .transforms import *  # noqa: F401,F403
from .vg_dataset import VGDataset

__all__ = [
    'VGDataset', 'RefCOCODataset', 'RefCOCOPlusDataset', 'RefCOCOgDataset',
    'ReferItDataset', 'Flickr30kEntitiesDataset', 'GRefCOCODataset',
    'MixedPretrainDataset', 'SyntheticDataset', 'prepare_synthetic',
    'load_canonical', 'dump_canonical', 'BEiT3Tokenizer', 'HFTokenizer',
    'WordVocabTokenizer', 'build_word_vocab'
]
