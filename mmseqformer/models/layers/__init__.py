from .dynamic_mask_head import DynamicMaskHead, MaskBranch
from .frame_aggregation import AGGREGATIONS, FrameAggregation
from .frame_folded_encoder import FrameFoldedEncoder, FrameFoldedEncoderLayer
from .msda import DualProjectionMSDA, FrameFoldedMSDA
from .seqformer_decoder import (SeqFormerDecoder, SeqFormerDecoderLayer,
                                refine_boxes, scale_references)

__all__ = [
    'DynamicMaskHead', 'MaskBranch', 'FrameFoldedEncoder',
    'FrameFoldedEncoderLayer', 'DualProjectionMSDA', 'FrameFoldedMSDA',
    'AGGREGATIONS', 'SeqFormerDecoder', 'SeqFormerDecoderLayer',
    'refine_boxes', 'scale_references', 'FrameAggregation'
]
