from .seqformer_head import SeqFormerHead

__all__ = ['SeqFormerHead']
