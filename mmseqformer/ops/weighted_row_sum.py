"""Weighted sums of table rows (``F.embedding_bag(mode='sum')``) with a
faster backward on the CPU.

The deformable sampling (:mod:`.deformable_sampling`) writes each output row
as a weighted sum of ``K`` rows of a value table. PyTorch's CPU backward of
``embedding_bag`` with per-sample weights scatters the output gradient one
``(bag, row)`` pair at a time (an axpy per pair after sorting the indices)
and computes the weights' gradient one dot product at a time: about 70% of
the sampling's training time for the R50 encoder (docs/benchmarks.md).
Here both gradients are again bulk operations:

* the table's gradient is the transposed gather: sort the pairs by table
  row, then every table row is an ``embedding_bag`` sum of output-gradient
  rows (empty bags give zero rows); equal to PyTorch's backward up to the
  order of the sums (float rounding, tested);
* the weights' gradient ``dot(grad_out[n], table[rows[n, k]])`` is a
  sampled matrix product, ``torch.sparse.sampled_addmm`` at the pattern of
  ``rows``.

Shape legend: ``N`` bags (output rows), ``K`` rows per bag, ``R`` table
rows, ``D`` channels.
"""
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from .backend import CPU_TRAINING, execution_backend


def weighted_row_sum(table: Tensor, rows: Tensor, weights: Tensor) -> Tensor:
    """``out[n] = sum_k weights[n, k] * table[rows[n, k]]``.

    Args:
        table (Tensor): (R, D) float32 or float64.
        rows (Tensor): (N, K) int32 or int64 row indices into ``table``.
        weights (Tensor): (N, K), ``table``'s dtype.

    Returns:
        Tensor: (N, D).

    NOTE: the custom backward runs on the CPU in float32/float64 (what the
    deformable sampling trains with off CUDA); other devices and dtypes
    keep ``embedding_bag``'s own backward. Its gradients are computed once
    (no second derivatives, as with ``once_differentiable``).
    """
    if (execution_backend(table) == CPU_TRAINING
            and (table.requires_grad or weights.requires_grad)
            and table.dtype in (torch.float32, torch.float64)):
        return _WeightedRowSum.apply(table, rows, weights)
    return F.embedding_bag(rows, table, per_sample_weights=weights, mode='sum')


class _WeightedRowSum(torch.autograd.Function):
    """:func:`weighted_row_sum` with its gradients as bulk operations."""

    @staticmethod
    def forward(ctx, table: Tensor, rows: Tensor, weights: Tensor) -> Tensor:
        ctx.save_for_backward(table, rows, weights)
        return F.embedding_bag(
            rows, table, per_sample_weights=weights, mode='sum')

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        table, rows, weights = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_table = grad_weights = None
        if ctx.needs_input_grad[0]:
            grad_table = _scatter_rows(grad_out, rows, weights, table.shape[0])
        if ctx.needs_input_grad[2]:
            grad_weights = _row_dots(grad_out, table, rows)
        return grad_table, None, grad_weights


def _scatter_rows(grad_out: Tensor, rows: Tensor, weights: Tensor,
                  num_rows: int) -> Tensor:
    """``grad[r] = sum over (n, k) with rows[n, k] == r of
    weights[n, k] * grad_out[n]``: (R, D)."""
    bag = rows.shape[1]
    table_rows, order = rows.reshape(-1).sort(stable=True)
    counts = torch.bincount(table_rows, minlength=num_rows)
    starts = counts.cumsum(0).sub_(counts)  # first pair of each table row
    return F.embedding_bag(
        order.div(bag, rounding_mode='floor'),
        grad_out,
        starts,
        mode='sum',
        per_sample_weights=weights.reshape(-1)[order])


def _row_dots(grad_out: Tensor, table: Tensor, rows: Tensor) -> Tensor:
    """``dots[n, k] = grad_out[n] . table[rows[n, k]]``: (N, K)."""
    num_bags, bag = rows.shape
    if bag > table.shape[0]:
        # The pattern would hold more entries than the (N, R) matrix has
        # cells, which the sampled product refuses; such tiny tables are
        # cheap to gather.
        return torch.einsum('nd,nkd->nk', grad_out, table[rows.long()])
    columns = rows.reshape(-1)
    if num_bags * bag >= 2**31:  # the pattern's offsets need 64 bits
        columns = columns.long()
    offsets = torch.arange(
        0, num_bags * bag + 1, bag, dtype=columns.dtype, device=rows.device)
    with warnings.catch_warnings():
        # "Sparse CSR tensor support is in beta state": the sampled product
        # used here is stable API.
        warnings.simplefilter('ignore', UserWarning)
        # A row's columns are unsorted and may repeat (two corners on the
        # same pixel), outside the format's invariants: the CPU kernel
        # computes every entry's dot product on its own, which is what is
        # wanted (tested with repeats); skip the check even when a user
        # switched it on globally.
        pattern = torch.sparse_csr_tensor(
            offsets,
            columns,
            torch.ones(columns.numel(), dtype=table.dtype, device=rows.device),
            size=(num_bags, table.shape[0]),
            check_invariants=False)
    dots = torch.sparse.sampled_addmm(pattern, grad_out, table.t(), beta=0.0)
    return dots.values().view(num_bags, bag)
