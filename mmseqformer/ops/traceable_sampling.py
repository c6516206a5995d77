"""Deformable-attention sampling and level unflattening for ONNX export:
what the inference code runs while it is traced (``torch.jit.is_tracing()``,
as during ``torch.onnx.export``).

The inference code reads the level sizes as Python integers
(``spatial_shapes.tolist()`` in :func:`deformable_attn_gather_at` and
:func:`~mmseqformer.models.vis.seqformer.unflatten_levels`; a list of sizes
in mmcv's ``multi_scale_deformable_attn_pytorch``), which a trace records
as constants: the graph would then only run at the traced frame size.
These versions keep the sizes as 0-d tensors taken from the features'
shapes, so slices and reshapes stay symbolic (dynamic ``H, W``), and they
sample with ``grid_sample`` (ONNX ``GridSample``, opset >= 16, which ONNX
Runtime implements natively; no custom op). Same values as the inference
code up to float rounding: the same bilinear rule (``align_corners=False``,
zero padding).

Shape legend: ``B`` batch, ``V`` = sum of H_l * W_l, ``M`` heads, ``D``
channels per head, ``Q`` queries, ``L`` levels, ``P`` points, ``C``
channels.
"""
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor

from .deformable_sampling import sampling_locations_from


def deformable_attn_grid_sample(value: Tensor, spatial_shapes: Tensor,
                                sampling_locations: Tensor,
                                attention_weights: Tensor) -> Tensor:
    """Drop-in for :func:`deformable_attn_gather` that traces with
    symbolic level sizes.

    Args:
        value (Tensor): (B, V, M, D).
        spatial_shapes (Tensor): (L, 2) level sizes (h, w), derived from
            the features' shapes (``torch._shape_as_tensor``) in a trace.
        sampling_locations (Tensor): (B, Q, M, L, P, 2) in [0, 1] (x, y).
        attention_weights (Tensor): (B, Q, M, L, P).

    Returns:
        Tensor: (B, Q, M * D), heads concatenated.
    """
    batch, _, num_heads, dims = value.shape
    _, num_query, _, num_levels, num_points, _ = sampling_locations.shape
    # grid_sample's grid is in [-1, 1].
    grids = 2 * sampling_locations - 1
    samples = []
    for level, level_value in enumerate(_level_slices(value, spatial_shapes)):
        height, width = spatial_shapes[level, 0], spatial_shapes[level, 1]
        # (B, h * w, M, D) -> (B * M, D, h, w)
        level_map = level_value.flatten(2).transpose(1, 2).reshape(
            batch * num_heads, dims, height, width)
        # (B, Q, M, P, 2) -> (B * M, Q, P, 2)
        level_grid = grids[:, :, :, level].transpose(1, 2).flatten(0, 1)
        # (B * M, D, Q, P)
        samples.append(
            F.grid_sample(
                level_map,
                level_grid,
                mode='bilinear',
                padding_mode='zeros',
                align_corners=False))
    # (B, Q, M, L, P) -> (B * M, 1, Q, L * P)
    weights = attention_weights.transpose(1,
                                          2).reshape(batch * num_heads, 1,
                                                     num_query,
                                                     num_levels * num_points)
    # (B * M, D, Q, L, P) -> (B * M, D, Q, L * P), weighted sum over L * P.
    output = (torch.stack(samples, -2).flatten(-2) * weights).sum(-1)
    return output.view(batch, num_heads * dims,
                       num_query).transpose(1, 2).contiguous()


def deformable_attn_grid_sample_at(value: Tensor, spatial_shapes: Tensor,
                                   reference_points: Tensor, offsets: Tensor,
                                   attention_weights: Tensor) -> Tensor:
    """Drop-in for :func:`deformable_attn_gather_at`: the sampling
    locations from the whole-tensor formula (symbolic sizes), then
    :func:`deformable_attn_grid_sample`.

    Args:
        value (Tensor): (B, V, M, D).
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        reference_points (Tensor): (B, Q, L, 2 or 4), normalised.
        offsets (Tensor): (B, Q, M, L, P, 2).
        attention_weights (Tensor): (B, Q, M, L, P).

    Returns:
        Tensor: (B, Q, M * D).
    """
    return deformable_attn_grid_sample(
        value, spatial_shapes,
        sampling_locations_from(reference_points, offsets, spatial_shapes),
        attention_weights)


def unflatten_levels_traceable(memory: Tensor,
                               spatial_shapes: Tensor) -> List[Tensor]:
    """Drop-in for ``unflatten_levels``: (B, V, C) flattened levels ->
    per level (B, C, H_l, W_l), with symbolic level sizes."""
    return [
        # (B, H_l * W_l, C) -> (B, C, H_l, W_l)
        level.transpose(1, 2).reshape(memory.shape[0], -1,
                                      spatial_shapes[index, 0],
                                      spatial_shapes[index, 1])
        for index, level in enumerate(_level_slices(memory, spatial_shapes))
    ]


def _level_slices(flat: Tensor, spatial_shapes: Tensor) -> List[Tensor]:
    """The levels of (B, V, ...) as slices along dim 1, bounded by 0-d
    tensors (a slice by Python integers would be a constant in a trace)."""
    levels, start = [], 0
    for level in range(spatial_shapes.shape[0]):
        stop = start + spatial_shapes[level, 0] * spatial_shapes[level, 1]
        levels.append(flat[:, start:stop])
        start = stop
    return levels


def encoder_reference_points_traceable(spatial_shapes: Tensor,
                                       valid_ratios: Tensor, device) -> Tensor:
    """Drop-in for mmdet's ``get_encoder_reference_points``: the pixel
    centres of every level, (B, V, L, 2).

    mmdet writes them with ``torch.linspace(0.5, h - 0.5, h)``, which ONNX
    exports as ``start + i * (end - start) / (h - 1)``: NaN for a level one
    pixel high or wide (a frame of at most 64 px at stride 64). ``arange +
    0.5`` gives the same values for every size.
    """
    points = []
    for level in range(spatial_shapes.shape[0]):
        height, width = spatial_shapes[level, 0], spatial_shapes[level, 1]
        ref_y, ref_x = torch.meshgrid(
            torch.arange(height, dtype=torch.float32, device=device) + 0.5,
            torch.arange(width, dtype=torch.float32, device=device) + 0.5,
            indexing='ij')
        ref_y = ref_y.reshape(-1)[None] / (
            valid_ratios[:, None, level, 1] * height)
        ref_x = ref_x.reshape(-1)[None] / (
            valid_ratios[:, None, level, 0] * width)
        points.append(torch.stack((ref_x, ref_y), -1))
    # (B, V, 2) -> (B, V, L, 2)
    return torch.cat(points, 1)[:, :, None] * valid_ratios[:, None]
