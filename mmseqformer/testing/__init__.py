from .synthetic_video import moving_block_video
from .tiny_seqformer import TINY_OVERRIDES, tiny_seqformer_cfg

__all__ = ['TINY_OVERRIDES', 'tiny_seqformer_cfg', 'moving_block_video']
