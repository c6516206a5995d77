from .offline_inference import OfflineVideoInference, VideoSelection
from .seqformer import SeqFormer
from .video_engine import FrameRecord, SeqFormerEngine, build_engine

__all__ = [
    'SeqFormer', 'OfflineVideoInference', 'VideoSelection', 'FrameRecord',
    'SeqFormerEngine', 'build_engine'
]
