import pytest
import torch
import torch.nn.functional as F

from mmseqformer.ops.weighted_row_sum import weighted_row_sum


def problem(dtype,
            index_dtype=torch.int32,
            num_rows=40,
            dims=6,
            bags=25,
            bag=8):
    """A table, rows with repeats inside bags and table rows no bag uses,
    weights and an output gradient."""
    gen = torch.Generator().manual_seed(0)
    table = torch.randn(num_rows, dims, generator=gen, dtype=dtype)
    # Rows 0..num_rows - 11 only: the last 10 table rows get no gradient.
    rows = torch.randint(0, num_rows - 10, (bags, bag), generator=gen)
    rows[:, 1] = rows[:, 0]  # the same row twice in every bag
    weights = torch.rand(bags, bag, generator=gen, dtype=dtype)
    grad = torch.randn(bags, dims, generator=gen, dtype=dtype)
    return table, rows.to(index_dtype), weights, grad


def formula_gradients(table, rows, weights, grad):
    """The gradients written out: scatter of weighted output gradients,
    and per (bag, k) dot products, in float64."""
    table, weights, grad = table.double(), weights.double(), grad.double()
    flat = rows.reshape(-1).long()
    grad_table = torch.zeros_like(table).index_add_(
        0, flat,
        (weights[..., None] * grad[:, None]).reshape(-1, table.shape[1]))
    grad_weights = (table[flat].view(*rows.shape, -1) * grad[:, None]).sum(-1)
    return grad_table, grad_weights


@pytest.mark.parametrize('dtype,tol', [(torch.float32, 1e-5),
                                       (torch.float64, 1e-12)])
@pytest.mark.parametrize('index_dtype', [torch.int32, torch.int64])
def test_values_and_gradients_equal_the_formula(dtype, tol, index_dtype):
    table, rows, weights, grad = problem(dtype, index_dtype)
    table.requires_grad_()
    weights.requires_grad_()
    out = weighted_row_sum(table, rows, weights)
    expected = F.embedding_bag(
        rows, table, per_sample_weights=weights, mode='sum')
    assert torch.equal(out, expected)
    grad_table, grad_weights = torch.autograd.grad(out, (table, weights), grad)
    want_table, want_weights = formula_gradients(table.detach(), rows,
                                                 weights.detach(), grad)
    assert grad_table.dtype == dtype and grad_weights.shape == rows.shape
    torch.testing.assert_close(
        grad_table.double(), want_table, rtol=tol, atol=tol)
    torch.testing.assert_close(
        grad_weights.double(), want_weights, rtol=tol, atol=tol)
    assert grad_table[-10:].abs().sum() == 0  # rows no bag reads


def test_gradcheck():
    table, rows, weights, _ = problem(torch.float64, bags=6, bag=4)
    table.requires_grad_()
    weights.requires_grad_()
    assert torch.autograd.gradcheck(lambda t, w: weighted_row_sum(t, rows, w),
                                    (table, weights))


def test_custom_backward_runs_and_only_needed_gradients():
    table, rows, weights, grad = problem(torch.float32)
    table.requires_grad_()
    out = weighted_row_sum(table, rows, weights)
    assert type(out.grad_fn).__name__ == '_WeightedRowSumBackward'
    (grad_table, ) = torch.autograd.grad(out, (table, ), grad)
    torch.testing.assert_close(
        grad_table.double(),
        formula_gradients(table.detach(), rows, weights, grad)[0],
        rtol=1e-5,
        atol=1e-5)
    with torch.no_grad():
        assert weighted_row_sum(table, rows, weights).grad_fn is None


def test_matches_embedding_bag_in_a_model_step():
    """Gradients through a table built from a value by pad and permute
    (as the deformable sampling builds it) equal ``embedding_bag``'s."""
    gen = torch.Generator().manual_seed(1)
    value = torch.randn(2, 5, 7, 4, generator=gen, requires_grad=True)
    rows = torch.randint(0, 2 * 8 * 10, (30, 12), generator=gen)
    weights = torch.rand(30, 12, generator=gen, requires_grad=True)

    def run(gather):
        table = F.pad(value.permute(0, 3, 1, 2), (1, 2, 1, 2))
        table = table.reshape(-1, 1).expand(-1, 3) * torch.tensor([1., 2, 3])
        out = gather(table, rows, weights)
        return torch.autograd.grad(out.square().sum(), (value, weights))

    ours = run(weighted_row_sum)
    theirs = run(lambda t, r, w: F.embedding_bag(
        r, t, per_sample_weights=w, mode='sum'))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_bags_longer_than_the_table():
    """More rows per bag than the table has (a 1x1 level with many
    points): the weights' gradient cannot use the sampled product."""
    table, rows, weights, _ = problem(
        torch.float64, num_rows=12, bags=5, bag=16)  # rows 0-1 used
    table = table[:2].clone().requires_grad_()
    weights.requires_grad_()
    assert torch.autograd.gradcheck(lambda t, w: weighted_row_sum(t, rows, w),
                                    (table, weights))


def test_backward_with_sparse_invariant_checks_on():
    table, rows, weights, grad = problem(torch.float32)
    weights.requires_grad_()
    with torch.sparse.check_sparse_tensor_invariants():
        out = weighted_row_sum(table, rows, weights)
        (grad_weights, ) = torch.autograd.grad(out, (weights, ), grad)
    torch.testing.assert_close(
        grad_weights.double(),
        formula_gradients(table, rows, weights.detach(), grad)[1],
        rtol=1e-5,
        atol=1e-5)


def test_other_dtypes_keep_embedding_bags_backward():
    table, rows, weights, grad = problem(torch.float32)
    table = table.bfloat16().requires_grad_()
    weights = weights.bfloat16().requires_grad_()
    out = weighted_row_sum(table, rows, weights)
    assert type(out.grad_fn).__name__ != '_WeightedRowSumBackward'
    grads = torch.autograd.grad(out, (table, weights), grad.bfloat16())
    assert all(g.dtype == torch.bfloat16 for g in grads)
