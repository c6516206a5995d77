"""Multi-scale deformable attention's sampling as one weighted gather.

mmcv's PyTorch path (``multi_scale_deformable_attn_pytorch``, used off
CUDA) samples every level with ``grid_sample`` into a (B * M, D, Q, L * P)
tensor, stacks the levels and multiplies by the attention weights: about
80 MB per 360p frame and encoder layer, mostly memory traffic. Here each
output row is a weighted sum of at most ``L * P * 4`` value rows (the four
bilinear corners of every sampling point, weighted by bilinear weight times
attention weight), which ``F.embedding_bag(mode='sum')`` computes directly
from (index, weight) pairs. Same bilinear rule as ``grid_sample`` with
``align_corners=False`` and zero padding; differentiable in the value, the
locations and the attention weights.

Shape legend: ``B`` batch, ``V`` = sum of H_l * W_l, ``M`` heads, ``D``
channels per head, ``Q`` queries, ``L`` levels, ``P`` points.
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def deformable_attn_gather(value: Tensor, spatial_shapes: Tensor,
                           sampling_locations: Tensor,
                           attention_weights: Tensor) -> Tensor:
    """Drop-in for mmcv's ``multi_scale_deformable_attn_pytorch``.

    Each level's map is padded with zeros (one row/column before, two
    after) and the sampling coordinates are clamped into the padded range,
    so every bilinear corner has a valid row and points outside the image
    read zeros, as ``grid_sample``'s zero padding; the clamp only touches
    points whose four corners are all padding (zero value, zero gradient).

    Args:
        value (Tensor): (B, V, M, D).
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        sampling_locations (Tensor): (B, Q, M, L, P, 2) in [0, 1] (x, y).
        attention_weights (Tensor): (B, Q, M, L, P).

    Returns:
        Tensor: (B, Q, M * D), heads concatenated.
    """
    batch, _, num_heads, dims = value.shape
    num_query = sampling_locations.shape[1]
    sizes = [(int(h), int(w)) for h, w in spatial_shapes.tolist()]
    # (B, V, M, D) -> per level (B, M, D, h + 3, w + 3) zero-padded maps,
    # flattened into one (B * M * V_pad, D) table.
    maps = value.permute(0, 2, 3, 1).split([h * w for h, w in sizes], -1)
    padded = [
        F.pad(level.reshape(batch, num_heads, dims, h, w), (1, 2, 1, 2))
        for level, (h, w) in zip(maps, sizes)
    ]
    table = torch.cat([level.flatten(3) for level in padded], 3)
    rows_per_entry = table.shape[3]
    table = table.permute(0, 1, 3, 2).reshape(-1, dims)
    # Per level: padded width, start row, and the 4 corner offsets.
    pad_widths = [w + 3 for _, w in sizes]
    starts, start = [], 0
    for (h, w) in sizes:
        starts.append(start)
        start += (h + 3) * (w + 3)
    level_view = (1, 1, 1, -1, 1)
    width = value.new_tensor([w for _, w in sizes]).view(level_view)
    height = value.new_tensor([h for h, _ in sizes]).view(level_view)
    # Pixel coordinates (align_corners=False), clamped to the padding.
    x = (sampling_locations[..., 0] * width - 0.5).clamp(min=-1).minimum(width)
    y = (sampling_locations[..., 1] * height -
         0.5).clamp(min=-1).minimum(height)
    x0, y0 = x.floor(), y.floor()
    fx, fy = x - x0, y - y0
    # (B, Q, M, L, P) row of the top-left corner in the table.
    entry = (torch.arange(batch, device=value.device).view(-1, 1, 1, 1, 1) *
             num_heads + torch.arange(num_heads, device=value.device).view(
                 1, 1, -1, 1, 1)) * rows_per_entry
    pad_width = torch.tensor(pad_widths, device=value.device).view(level_view)
    level_start = torch.tensor(starts, device=value.device).view(level_view)
    top_left = entry + level_start + (y0.long() + 1) * pad_width + (
        x0.long() + 1)
    # Corners (0, 0), (1, 0), (0, 1), (1, 1): row offsets per level.
    corner_rows = torch.stack([
        torch.zeros_like(pad_width),
        torch.ones_like(pad_width), pad_width, pad_width + 1
    ], -1)
    rows = top_left[..., None] + corner_rows
    wx = torch.stack([1 - fx, fx], -1)
    wy = torch.stack([1 - fy, fy], -1)
    weights = (wy[..., :, None] * wx[..., None, :]).flatten(-2) * \
        attention_weights[..., None]
    bag = rows.shape[3] * rows.shape[4] * 4  # L * P * 4 per (b, q, m)
    output = F.embedding_bag(
        rows.reshape(-1, bag),
        table,
        per_sample_weights=weights.reshape(-1, bag),
        mode='sum')
    return output.view(batch, num_query, num_heads * dims)
