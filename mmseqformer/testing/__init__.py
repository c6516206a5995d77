from .tiny_seqformer import TINY_SEQFORMER, tiny_seqformer_cfg

__all__ = ['TINY_SEQFORMER', 'tiny_seqformer_cfg']
