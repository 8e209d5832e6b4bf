# Copyright (c) mmvg contributors. All rights reserved.
from .bert import BertTextEncoder

__all__ = ['BertTextEncoder']
