# Copyright (c) mmvg contributors. All rights reserved.
from .vg_data_sample import OptVGSampleList, VGDataSample, VGSampleList

__all__ = ['VGDataSample', 'VGSampleList', 'OptVGSampleList']
