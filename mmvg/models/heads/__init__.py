# Copyright (c) mmvg contributors. All rights reserved.
from .vltvg_head import VLTVGHead

__all__ = ['VLTVGHead']
