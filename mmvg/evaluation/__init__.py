# Copyright (c) mmvg contributors. All rights reserved.
import mmdet.evaluation  # noqa: F401

from .metrics import *  # noqa: F401,F403
