"""Multi-scale deformable attention's sampling as one weighted gather.

mmcv's PyTorch path (``multi_scale_deformable_attn_pytorch``, used off
CUDA) samples every level with ``grid_sample`` into a (B * M, D, Q, L * P)
tensor, stacks the levels and multiplies by the attention weights: about
80 MB per 360p frame and encoder layer, mostly memory traffic. Here each
output row is a weighted sum of ``P * 4`` value rows per level (the four
bilinear corners of every sampling point, weighted by bilinear weight times
attention weight), which ``F.embedding_bag(mode='sum')`` computes directly
from (index, weight) pairs (:func:`.weighted_row_sum`, with a faster
backward than ``embedding_bag``'s on the CPU). Same bilinear rule as
``grid_sample`` with ``align_corners=False`` and zero padding;
differentiable in the value, the locations and the attention weights.

Shape legend: ``B`` batch, ``V`` = sum of H_l * W_l, ``M`` heads, ``D``
channels per head, ``Q`` queries, ``L`` levels, ``P`` points, ``N`` =
B * Q * M sampling heads.
"""
from typing import Callable, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .weighted_row_sum import weighted_row_sum


def sampling_locations_from(reference_points: Tensor, offsets: Tensor,
                            spatial_shapes: Tensor) -> Tensor:
    """Where each head/level/point samples, normalised to [0, 1].

    Args:
        reference_points (Tensor): (B, Q, L, 2) points (x, y) or (B, Q, L, 4)
            boxes (cx, cy, w, h), normalised to the valid image.
        offsets (Tensor): (B, Q, M, L, P, 2) predicted offsets.
        spatial_shapes (Tensor): (L, 2) feature sizes (h, w).

    Returns:
        Tensor: (B, Q, M, L, P, 2) sampling locations (x, y).
    """
    if reference_points.shape[-1] == 2:
        normalizer = torch.stack(
            [spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
        return reference_points[:, :, None, :, None, :] + \
            offsets / normalizer[None, None, None, :, None, :]
    if reference_points.shape[-1] == 4:
        num_points = offsets.shape[-2]
        return reference_points[:, :, None, :, None, :2] + \
            offsets / num_points * reference_points[:, :, None, :, None, 2:] \
            * 0.5
    raise ValueError('the last dim of reference_points must be 2 or 4, got '
                     f'{reference_points.shape[-1]}')


def deformable_attn_gather(value: Tensor, spatial_shapes: Tensor,
                           sampling_locations: Tensor,
                           attention_weights: Tensor) -> Tensor:
    """Drop-in for mmcv's ``multi_scale_deformable_attn_pytorch``.

    Each level's map is padded with zeros (one row/column before, two
    after) and the sampling coordinates are clamped into the padded range,
    so every bilinear corner has a valid row and points outside the image
    read zeros, as ``grid_sample``'s zero padding; the clamp only touches
    points whose four corners are all padding (zero value, zero gradient).

    The work is done level by level on level-major copies of the locations
    and weights: every elementwise step then runs over one contiguous
    tensor with the level's sizes as Python numbers. (Broadcasting per-level
    constants over the inner (P, 2) dimensions made the same steps about
    three times slower than the gather itself.)

    Args:
        value (Tensor): (B, V, M, D).
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        sampling_locations (Tensor): (B, Q, M, L, P, 2) in [0, 1] (x, y).
        attention_weights (Tensor): (B, Q, M, L, P).

    Returns:
        Tensor: (B, Q, M * D), heads concatenated.
    """
    # Per level, x and y: (B, Q, M, P). (unbind, not indexing: the
    # backward of an index writes a zero tensor of the whole size.)
    coords = sampling_locations.permute(3, 5, 0, 1, 2, 4).contiguous()
    levels = [level.unbind(0) for level in coords.unbind(0)]
    return _gather_levels(value, spatial_shapes,
                          lambda level, h, w: levels[level], attention_weights)


def deformable_attn_gather_at(value: Tensor, spatial_shapes: Tensor,
                              reference_points: Tensor, offsets: Tensor,
                              attention_weights: Tensor) -> Tensor:
    """:func:`deformable_attn_gather` at
    ``sampling_locations_from(reference_points, offsets, spatial_shapes)``,
    the locations computed level by level with the same operations in the
    same order (so the same values, bit for bit), without the slow
    broadcasts of the whole-tensor formula.

    Args:
        value (Tensor): (B, V, M, D).
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        reference_points (Tensor): (B, Q, L, 2) points or (B, Q, L, 4)
            boxes, normalised.
        offsets (Tensor): (B, Q, M, L, P, 2).
        attention_weights (Tensor): (B, Q, M, L, P).

    Returns:
        Tensor: (B, Q, M * D).
    """
    if reference_points.shape[-1] not in (2, 4):
        raise ValueError('the last dim of reference_points must be 2 or 4, '
                         f'got {reference_points.shape[-1]}')
    batch, num_query, _, _, num_points, _ = offsets.shape
    # Per level: x and y offsets (B, Q, M, P); 2 or 4 references
    # (B, Q, 1, 1).
    level_offsets = [
        level.unbind(0)
        for level in offsets.permute(3, 5, 0, 1, 2, 4).contiguous().unbind(0)
    ]
    references = [
        level.unbind(0)
        for level in reference_points.permute(2, 3, 0, 1)[..., None,
                                                          None].unbind(0)
    ]

    def locations(level: int, height: int,
                  width: int) -> Tuple[Tensor, Tensor]:
        ref, off = references[level], level_offsets[level]
        if len(ref) == 2:
            return ref[0] + off[0] / width, ref[1] + off[1] / height
        return (ref[0] + off[0] / num_points * ref[2] * 0.5,
                ref[1] + off[1] / num_points * ref[3] * 0.5)

    return _gather_levels(value, spatial_shapes, locations, attention_weights)


def _gather_levels(value: Tensor, spatial_shapes: Tensor,
                   locations: Callable[[int, int, int], Tuple[Tensor, Tensor]],
                   attention_weights: Tensor) -> Tensor:
    """Sum over levels of :func:`_sample_level`.

    Args:
        value (Tensor): (B, V, M, D).
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        locations (callable): (level, h, w) -> the level's normalised
            x and y locations, each (B, Q, M, P).
        attention_weights (Tensor): (B, Q, M, L, P).

    Returns:
        Tensor: (B, Q, M * D).
    """
    batch, _, num_heads, dims = value.shape
    num_query = attention_weights.shape[1]
    sizes = [(int(h), int(w)) for h, w in spatial_shapes.tolist()]
    # Per level (B, Q, M, P).
    weights = attention_weights.permute(3, 0, 1, 2, 4).contiguous().unbind(0)
    output = None
    for level, (level_value, (h, w)) in enumerate(
            zip(value.split([h * w for h, w in sizes], 1), sizes)):
        x, y = locations(level, h, w)
        samples = _sample_level(level_value, h, w, x, y, weights[level])
        if output is None:
            output = samples
        elif torch.is_grad_enabled():
            output = output + samples
        else:
            output += samples
    return output.view(batch, num_query, num_heads * dims)


def _sample_level(value: Tensor, height: int, width: int, x: Tensor, y: Tensor,
                  attention: Tensor) -> Tensor:
    """One level's weighted bilinear samples, summed over its points.

    Args:
        value (Tensor): (B, h * w, M, D) the level's values.
        height, width (int): The level's size.
        x, y, attention (Tensor): (B, Q, M, P) normalised locations and
            attention weights.

    Returns:
        Tensor: (N, D).
    """
    batch, _, num_heads, dims = value.shape
    pad_width = width + 3
    rows_per_entry = (height + 3) * pad_width
    # (B, M, h + 3, w + 3, D) zero-padded map as a (B * M * rows, D) table.
    table = F.pad(
        value.view(batch, height, width, num_heads,
                   dims).permute(0, 3, 1, 2, 4),
        (0, 0, 1, 2, 1, 2)).reshape(-1, dims)
    # Pixel coordinates (align_corners=False), clamped to the padding.
    x = (x * width - 0.5).clamp(-1, width)
    y = (y * height - 0.5).clamp(-1, height)
    x0, y0 = x.floor(), y.floor()
    fx, fy = x - x0, y - y0
    index_dtype = torch.int32 if batch * num_heads * rows_per_entry < \
        2**31 else torch.int64
    # Row of the top-left corner: the entry's (b, m) block, then the padded
    # map's (y0 + 1, x0 + 1).
    entry = torch.arange(
        batch * num_heads, dtype=index_dtype,
        device=value.device).mul_(rows_per_entry).view(batch, 1, num_heads, 1)
    top_left = y0.to(index_dtype).add_(1).mul_(pad_width).add_(
        x0.to(index_dtype)).add_(1).add_(entry)
    # Corners (0, 0), (1, 0), (0, 1), (1, 1): (B, Q, M, P, 4).
    rows = torch.stack([
        top_left, top_left + 1, top_left + pad_width, top_left +
        (pad_width + 1)
    ], -1)
    upper = attention * (1 - fy)
    lower = attention * fy
    left = 1 - fx
    corner_weights = torch.stack(
        [upper * left, upper * fx, lower * left, lower * fx], -1)
    bag = rows.shape[-2] * 4  # P * 4 per sampling head
    return weighted_row_sum(table, rows.view(-1, bag),
                            corner_weights.view(-1, bag))
