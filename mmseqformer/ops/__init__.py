"""Speed machinery: how SeqFormer's operators run fast on each backend,
kept apart from the algorithm (``mmseqformer.models``). Every route is
chosen by :func:`~.backend.execution_backend`; each computes what the
plain PyTorch/mmcv form computes, up to float rounding (tested)."""
from .backend import execution_backend
from .batch_norm_folding import fold_batch_norms
from .cpu_fused_ffn import CPUFusedFFN
from .deformable_sampling import (deformable_attn_gather,
                                  deformable_attn_gather_at,
                                  sampling_locations_from)
from .msda_sampling import (TRAINING_SAMPLERS, deformable_sample,
                            valid_im2col_step)
from .row_ffn import RowFFN
from .weighted_row_sum import weighted_row_sum

__all__ = [
    'execution_backend', 'fold_batch_norms', 'CPUFusedFFN',
    'deformable_attn_gather', 'deformable_attn_gather_at',
    'sampling_locations_from', 'TRAINING_SAMPLERS', 'deformable_sample',
    'valid_im2col_step', 'RowFFN', 'weighted_row_sum'
]
