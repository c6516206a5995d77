from .data_preprocessors import SeqFormerDataPreprocessor
from .layers import *  # noqa: F401,F403
from .losses import VideoSetCriterion
from .task_modules import VideoBoxL2Cost, VideoGIoUCost
from .tracking_heads import SeqFormerHead
from .vis import SeqFormer

__all__ = [
    'SeqFormerDataPreprocessor', 'VideoSetCriterion', 'VideoBoxL2Cost',
    'VideoGIoUCost', 'SeqFormerHead', 'SeqFormer'
]
