# Copyright (c) mmvg contributors. All rights reserved.
from .vg_data_sample import (OptVGSampleList, VGDataSample, VGSampleList,
                             record_name, record_text)

__all__ = [
    'VGDataSample', 'VGSampleList', 'OptVGSampleList', 'record_name',
    'record_text'
]
