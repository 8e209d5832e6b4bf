# Copyright (c) mmvg contributors. All rights reserved.
from .bert import BertTextEncoder
from .gru_sa import GRUSATextEncoder

__all__ = ['BertTextEncoder', 'GRUSATextEncoder']
