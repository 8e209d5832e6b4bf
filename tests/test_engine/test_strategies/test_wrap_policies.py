# Copyright (c) mmvg contributors. All rights reserved.
import torch

from mmvg.engine.strategies import wrap_by_class
from mmvg.registry import MODELS
from mmvg.testing import get_grounder_cfg
from mmvg.utils import register_all_modules


def test_wrap_by_class_picks_bert_layers_and_swin_blocks():
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(get_grounder_cfg('_base_/models/lavt_swin-tiny.py'))
    units = [
        type(m).__name__ for m in model.modules() if wrap_by_class(
            m, False, 0, module_classes=('BertLayer', 'SwinBlock'))
    ]
    # 2 BERT layers, 2 Swin blocks in each of 4 stages
    assert units.count('BertLayer') == 2
    assert units.count('SwinBlock') == 8
    # the root is always a unit
    assert wrap_by_class(model, True, 0)
