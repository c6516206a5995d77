from .seqformer import SeqFormer
from .streaming_seqformer import StreamingSeqFormer, VideoSelection

__all__ = ["SeqFormer", "StreamingSeqFormer", "VideoSelection"]
