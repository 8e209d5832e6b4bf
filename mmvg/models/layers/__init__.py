# Copyright (c) mmvg contributors. All rights reserved.
from .alvg_layers import (ALVGDecoder, ALVGDecoderLayer, ALVGMaskHead,
                          ImgEnhance, TextGuidedQueryGenerator, pool_text,
                          text_sine_position, xavier_matrices)
from .aspp import ASPPDecoder
from .darknet_conv import darknet_conv
from .language_guided_context import LanguageGuidedContextEncoder
from .multi_stage_decoder import MultiStageDecoder, MultiStageDecoderLayer
from .relative_position_attention import (RelativePositionAttention,
                                          sine_offset_table)
from .simrec_fusion import GaranAttention, MultiScaleFusion, SimpleFusion
from .visual_linguistic_bert import VisualLinguisticBert, bert_to_vlbert
from .vl_verification import VisualLinguisticVerification

__all__ = [
    'ALVGDecoder', 'ALVGDecoderLayer', 'ALVGMaskHead', 'ImgEnhance',
    'TextGuidedQueryGenerator', 'pool_text', 'text_sine_position',
    'xavier_matrices', 'ASPPDecoder', 'darknet_conv', 'GaranAttention',
    'LanguageGuidedContextEncoder', 'MultiScaleFusion', 'MultiStageDecoder',
    'MultiStageDecoderLayer', 'RelativePositionAttention', 'SimpleFusion',
    'sine_offset_table', 'VisualLinguisticBert', 'bert_to_vlbert',
    'VisualLinguisticVerification'
]
