# Copyright (c) mmvg contributors. All rights reserved.
import mmdet.visualization  # noqa: F401
