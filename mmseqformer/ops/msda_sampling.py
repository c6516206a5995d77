"""Multi-scale deformable attention's sampling on every backend.

:func:`deformable_sample` is the attention's sampling step (bilinear
samples weighted by attention, heads concatenated), routed by
:func:`~.backend.execution_backend`:

- ``cuda``: mmcv's kernel, with ``im2col_step`` reduced per call to a
  divisor of the batch (:func:`valid_im2col_step`);
- ``trace``: the traceable ``grid_sample`` form (ONNX export,
  :mod:`.traceable_sampling`);
- ``cpu_training``: the configured training sampler, ``'gather'``
  (:func:`~.deformable_sampling.deformable_attn_gather_at`, bulk backward)
  or ``'grid_sample'`` (mmcv's ``multi_scale_deformable_attn_pytorch``, the
  official code's path off CUDA);
- ``cpu_inference`` and other devices: the gather.

All give the same values up to float rounding. Under mixed precision the
locations and the sampling run in float32 (mmcv's CUDA kernel has no
bfloat16 and would round the locations to float16; the CPU paths compute
pixel coordinates in the value's dtype) and the samples go back to the
value's dtype.

Shape legend: ``B`` batch entries, ``Q`` queries, ``V`` = sum of H_l * W_l
over levels, ``M`` heads, ``D`` channels per head, ``L`` levels, ``P``
points.
"""
import torch
from mmcv.ops.multi_scale_deform_attn import (
    MultiScaleDeformableAttnFunction, multi_scale_deformable_attn_pytorch)
from torch import Tensor

from ..install_check import check_cuda_ops
from ..utils.torch_compat import is_autocast_enabled
from .backend import CPU_TRAINING, CUDA, TRACE, execution_backend
from .deformable_sampling import (deformable_attn_gather_at,
                                  sampling_locations_from)
from .traceable_sampling import deformable_attn_grid_sample_at

#: Samplers a model may train with on the CPU.
TRAINING_SAMPLERS = ('gather', 'grid_sample')
#: Floating types too coarse for the deformable sampling.
LOW_PRECISION_DTYPES = (torch.float16, torch.bfloat16)


def check_training_sampler(sampler: str) -> str:
    if sampler not in TRAINING_SAMPLERS:
        raise ValueError(f'training_sampler must be one of '
                         f'{TRAINING_SAMPLERS}, got {sampler!r}')
    return sampler


def valid_im2col_step(batch: int, im2col_step: int) -> int:
    """Largest step <= ``im2col_step`` that divides ``batch``.

    mmcv's CUDA kernel processes the batch in chunks of
    ``min(batch, im2col_step)`` and asserts that the batch divides evenly,
    which folded batches (e.g. a 70-frame video with the default 64) break.
    """
    step = min(batch, im2col_step)
    while batch % step:
        step -= 1
    return step


def needs_float32_sampling(value: Tensor, *others: Tensor) -> bool:
    """Whether the sampling must be lifted to float32: autocast is on for
    ``value``'s device or an input is float16/bfloat16. False in plain
    float32 or float64, which then run exactly as without this check."""
    return is_autocast_enabled(value.device.type) or any(
        tensor.dtype in LOW_PRECISION_DTYPES for tensor in (value, ) + others)


def deformable_sample(value: Tensor,
                      spatial_shapes: Tensor,
                      level_start_index: Tensor,
                      reference_points: Tensor,
                      offsets: Tensor,
                      weights: Tensor,
                      im2col_step: int = 64,
                      training_sampler: str = 'gather') -> Tensor:
    """Bilinear samples weighted by attention, (B, Q, M * D).

    Args:
        value (Tensor): (B, V, M, D) projected memory.
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        level_start_index (Tensor): (L, ) start of each level in ``V``.
        reference_points (Tensor): (B, Q, L, 2 or 4), normalised.
        offsets (Tensor): (B, Q, M, L, P, 2) sampling offsets.
        weights (Tensor): (B, Q, M, L, P) attention weights.
        im2col_step (int): mmcv's CUDA kernel's step (reduced to divide
            the batch).
        training_sampler (str): ``'gather'`` or ``'grid_sample'``, on the
            CPU with gradients.
    """
    if not needs_float32_sampling(value, reference_points, offsets, weights):
        return _sample(value, spatial_shapes, level_start_index,
                       reference_points, offsets, weights, im2col_step,
                       training_sampler)
    with torch.autocast(value.device.type, enabled=False):
        samples = _sample(value.float(), spatial_shapes, level_start_index,
                          reference_points.float(), offsets.float(),
                          weights.float(), im2col_step, training_sampler)
    return samples.to(value.dtype)


def _sample(value: Tensor, spatial_shapes: Tensor, level_start_index: Tensor,
            reference_points: Tensor, offsets: Tensor, weights: Tensor,
            im2col_step: int, training_sampler: str) -> Tensor:
    backend = execution_backend(value)
    if backend == CUDA:
        check_cuda_ops(value.device)
        return MultiScaleDeformableAttnFunction.apply(
            value, spatial_shapes, level_start_index,
            sampling_locations_from(reference_points, offsets, spatial_shapes),
            weights, valid_im2col_step(value.shape[0], im2col_step))
    if backend == TRACE:
        return deformable_attn_grid_sample_at(value, spatial_shapes,
                                              reference_points, offsets,
                                              weights)
    if backend == CPU_TRAINING and training_sampler == 'grid_sample':
        return multi_scale_deformable_attn_pytorch(
            value, spatial_shapes,
            sampling_locations_from(reference_points, offsets, spatial_shapes),
            weights)
    return deformable_attn_gather_at(value, spatial_shapes, reference_points,
                                     offsets, weights)
