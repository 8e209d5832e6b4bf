# Copyright (c) mmvg contributors. All rights reserved.
# mmdet's transforms and samplers are built by bare name in mmvg pipelines.
import mmdet.datasets  # noqa: F401

from .transforms import *  # noqa: F401,F403
