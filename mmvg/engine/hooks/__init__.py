# Copyright (c) mmvg contributors. All rights reserved.
import mmdet.engine  # noqa: F401
