# Copyright (c) mmvg contributors. All rights reserved.
import platform
import subprocess
import sys

import pytest

from mmvg.models.data_preprocessors import (VGDataPreprocessor,
                                            vg_data_preprocessor)
from mmvg.testing import demo_vg_inputs

# A fresh process (the malloc setting is process-wide) preprocesses one CPU
# batch with VLTVG-R50's data preprocessor, then runs steps that allocate
# and free a 52 MB activation, the size of ResNet-50's stem output at
# 640x640, batch 2: glibc maps such a block anew every time (it is above
# glibc's 32 MiB mmap limit), so each step page-faults it in again unless
# freed memory is kept.
_CHILD = """
import resource
import torch
from mmvg.models.data_preprocessors import VGDataPreprocessor
from mmvg.testing import demo_vg_inputs, get_grounder_cfg

cfg = get_grounder_cfg('_base_/models/vltvg_r50.py').data_preprocessor
cfg.pop('type')
cfg.tokenizer = None  # the BERT vocabulary is not needed here
VGDataPreprocessor(**cfg)(demo_vg_inputs())


def step():
    x = torch.ones(2, 64, 320, 320)
    y = x * 2
    del x, y


for _ in range(10):  # the heap grows to the step's needs in a few steps
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print('faults', resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(
    platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc',
    reason='the setting is for glibc malloc')
def test_vltvg_cpu_steps_reuse_freed_memory():
    out = subprocess.run([sys.executable, '-c', _CHILD],
                         capture_output=True,
                         text=True,
                         check=True).stdout
    faults = int(out.split('faults')[-1])
    # 5 steps x 2 blocks x 12,800 pages when every block is mapped anew
    assert faults < 1000, f'{faults} minor page faults in 5 steps'


def test_malloc_is_left_alone_unless_asked(monkeypatch):
    calls = []
    monkeypatch.setattr(vg_data_preprocessor, 'retain_freed_cpu_memory',
                        lambda: calls.append(True))
    VGDataPreprocessor()(demo_vg_inputs())
    assert calls == []
    VGDataPreprocessor(retain_cpu_memory=True)(demo_vg_inputs())
    assert calls == [True]
