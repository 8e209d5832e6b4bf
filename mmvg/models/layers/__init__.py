# Copyright (c) mmvg contributors. All rights reserved.
from .language_guided_context import LanguageGuidedContextEncoder
from .multi_stage_decoder import MultiStageDecoder, MultiStageDecoderLayer
from .relative_position_attention import (RelativePositionAttention,
                                          sine_offset_table)
from .vl_verification import VisualLinguisticVerification

__all__ = [
    'LanguageGuidedContextEncoder', 'MultiStageDecoder',
    'MultiStageDecoderLayer', 'RelativePositionAttention', 'sine_offset_table',
    'VisualLinguisticVerification'
]
