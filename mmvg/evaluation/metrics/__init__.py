# Copyright (c) mmvg contributors. All rights reserved.
from .base_vg_metric import BaseVGMetric
from .dump_results import DumpGroundingResults
from .grec_metric import GRECMetric
from .gres_metric import GRESMetric
from .inconsistency_metric import InconsistencyErrorMetric
from .phrase_grounding_metric import PhraseGroundingMetric
from .rec_metric import RECMetric
from .res_metric import RESMetric

__all__ = [
    'BaseVGMetric', 'DumpGroundingResults', 'GRECMetric', 'GRESMetric',
    'InconsistencyErrorMetric', 'PhraseGroundingMetric', 'RECMetric',
    'RESMetric'
]
