from .offline_inference import OfflineVideoInference, VideoSelection
from .seqformer import SeqFormer
from .video_engine import FrameRecord, SeqFormerEngine

__all__ = [
    'SeqFormer', 'OfflineVideoInference', 'VideoSelection', 'FrameRecord',
    'SeqFormerEngine'
]
