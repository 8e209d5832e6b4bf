# Copyright (c) mmvg contributors. All rights reserved.
# mmdet's models are imported so that mmvg configs build them by bare name
# (``ResNet``, ``GIoULoss``) through the parent registry.
import mmdet.models  # noqa: F401

from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .grounders import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .language_models import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
