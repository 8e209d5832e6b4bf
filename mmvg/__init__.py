# Copyright (c) mmvg contributors. All rights reserved.
import mmdet
import mmengine
from mmengine.utils import digit_version

from .version import __version__, version_info

mmengine_minimum_version = '0.10.0'
mmengine_maximum_version = '1.0.0'
mmdet_minimum_version = '3.3.0'
mmdet_maximum_version = '4.0.0'

assert (digit_version(mmengine_minimum_version) <= digit_version(
    mmengine.__version__) < digit_version(mmengine_maximum_version)), (
        f'mmengine=={mmengine.__version__} is used but incompatible. '
        f'Please install mmengine>={mmengine_minimum_version}, '
        f'<{mmengine_maximum_version}.')
assert (digit_version(mmdet_minimum_version) <= digit_version(
    mmdet.__version__) < digit_version(mmdet_maximum_version)), (
        f'mmdet=={mmdet.__version__} is used but incompatible. '
        f'Please install mmdet>={mmdet_minimum_version}, '
        f'<{mmdet_maximum_version}.')

__all__ = ['__version__', 'version_info']
