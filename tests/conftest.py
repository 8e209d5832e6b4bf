# Copyright (c) mmvg contributors. All rights reserved.
import os
import os.path as osp
import sys

import pytest
import torch

# DeepSpeed's CPU op is built once per extensions folder; a folder shared
# by two environments is rebuilt whenever they alternate (minutes each), so
# every environment's test runs get their own (inherited by the tools the
# tests start).
os.environ.setdefault('TORCH_EXTENSIONS_DIR',
                      osp.join(sys.prefix, 'torch_extensions'))


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason='needs a CUDA device')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip_gpu)
