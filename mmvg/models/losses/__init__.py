# Copyright (c) mmvg contributors. All rights reserved.
from .box_map_loss import BoxMapLoss, box_cell_targets

__all__ = ['BoxMapLoss', 'box_cell_targets']
