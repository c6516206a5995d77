"""The deformable sampling's gather (values and gradients) against mmcv's
``grid_sample`` path, and its routing on each backend."""
import pytest
import torch
from mmcv.ops.multi_scale_deform_attn import \
    multi_scale_deformable_attn_pytorch

from mmseqformer.ops import msda_sampling
from mmseqformer.ops.backend import (CPU_INFERENCE, CPU_TRAINING, TRACE,
                                     execution_backend)
from mmseqformer.ops.deformable_sampling import (deformable_attn_gather,
                                                 deformable_attn_gather_at,
                                                 sampling_locations_from)
from mmseqformer.ops.msda_sampling import deformable_sample, valid_im2col_step


def assert_close_to_mmcv(samples, value, shapes, references, offsets, weights):
    """``samples`` are mmcv's sampling (``grid_sample``) up to float
    rounding."""
    torch.testing.assert_close(
        samples,
        multi_scale_deformable_attn_pytorch(
            value, shapes, sampling_locations_from(references, offsets,
                                                   shapes), weights),
        rtol=1e-5,
        atol=1e-6)


@pytest.mark.parametrize('batch, step, expected', [(70, 64, 35), (64, 64, 64),
                                                   (5, 64, 5), (7, 3, 1),
                                                   (12, 8, 6)])
def test_valid_im2col_step_divides_the_batch(batch, step, expected):
    assert valid_im2col_step(batch, step) == expected


@pytest.mark.parametrize('batch, heads, points', [(2, 3, 2), (1, 1, 1)])
def test_gather_sampling_equals_mmcv_grid_sample_path(batch, heads, points):
    """Values and gradients of the CPU gather equal mmcv's grid_sample path
    in float64, with points inside, on the border and outside the maps."""
    torch.manual_seed(0)
    shapes = torch.tensor([[6, 9], [3, 5], [1, 1], [2, 4]])
    num_value = int(shapes.prod(1).sum())
    value = torch.randn(
        batch, num_value, heads, 4, dtype=torch.float64, requires_grad=True)
    locations = torch.rand(
        batch, 11, heads, 4, points, 2, dtype=torch.float64) * 1.6 - 0.3
    locations[:, 0] = 0.0  # exactly on the image border
    locations[:, 1] = 1.0
    locations[:, 2] = 7.0  # far outside: reads zeros
    locations.requires_grad_()
    weights = torch.rand(
        batch, 11, heads, 4, points, dtype=torch.float64, requires_grad=True)
    expected = multi_scale_deformable_attn_pytorch(value, shapes, locations,
                                                   weights)
    actual = deformable_attn_gather(value, shapes, locations, weights)
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-12)
    assert actual[:, 2].abs().max() == 0
    grads = [torch.ones_like(expected) * torch.randn_like(expected)]
    expected_grads = torch.autograd.grad(expected, [value, locations, weights],
                                         grads)
    actual_grads = torch.autograd.grad(actual, [value, locations, weights],
                                       grads)
    for name, a, e in zip(('value', 'locations', 'weights'), actual_grads,
                          expected_grads):
        torch.testing.assert_close(a, e, rtol=0, atol=1e-10, msg=name)


@pytest.mark.parametrize('ref_dims', [2, 4])
def test_gather_at_references_equals_gather_at_locations_bit_for_bit(ref_dims):
    """The level-by-level locations of ``deformable_attn_gather_at`` are the
    whole-tensor formula's, bit for bit, in float32 (so are the samples)."""
    torch.manual_seed(1)
    shapes = torch.tensor([[7, 9], [4, 5], [2, 3]])
    num_value = int(shapes.prod(1).sum())
    value = torch.randn(3, num_value, 2, 4)
    references = torch.rand(3, 13, 3, ref_dims)
    offsets = torch.randn(3, 13, 2, 3, 5, 2) * 3
    weights = torch.rand(3, 13, 2, 3, 5).softmax(-1)
    expected = deformable_attn_gather(
        value, shapes, sampling_locations_from(references, offsets, shapes),
        weights)
    actual = deformable_attn_gather_at(value, shapes, references, offsets,
                                       weights)
    assert torch.equal(actual, expected)
    # And both are mmcv's sampling up to float rounding.
    assert_close_to_mmcv(actual, value, shapes, references, offsets, weights)


def test_the_backend_is_read_off_the_tensor_and_the_mode():
    x = torch.zeros(2)
    with torch.no_grad():
        assert execution_backend(x) == CPU_INFERENCE
    with torch.enable_grad():
        assert execution_backend(x) == CPU_TRAINING
    seen = []

    def probe(t):
        seen.append(execution_backend(t))
        return t * 2

    torch.jit.trace(probe, (x, ), check_trace=False)
    assert seen == [TRACE]


def sampling_inputs():
    torch.manual_seed(2)
    shapes = torch.tensor([[5, 6], [2, 3]])
    value = torch.randn(2, int(shapes.prod(1).sum()), 2, 4)
    references = torch.rand(2, 7, 2, 2)
    offsets = torch.randn(2, 7, 2, 2, 3, 2)
    weights = torch.rand(2, 7, 2, 2, 3).softmax(-1)
    starts = torch.tensor([0, 30])
    return value, shapes, starts, references, offsets, weights


@pytest.mark.parametrize('grad, sampler, expected', [
    (False, 'grid_sample', 'deformable_attn_gather_at'),
    (True, 'gather', 'deformable_attn_gather_at'),
    (True, 'grid_sample', 'multi_scale_deformable_attn_pytorch'),
])
def test_each_backend_takes_its_route(monkeypatch, grad, sampler, expected):
    value, shapes, starts, references, offsets, weights = sampling_inputs()
    calls = []
    for name in ('deformable_attn_gather_at',
                 'multi_scale_deformable_attn_pytorch',
                 'deformable_attn_grid_sample_at'):
        real = getattr(msda_sampling, name)

        def spy(*args, real=real, name=name):
            calls.append(name)
            return real(*args)

        monkeypatch.setattr(msda_sampling, name, spy)
    with torch.set_grad_enabled(grad):
        out = deformable_sample(
            value,
            shapes,
            starts,
            references,
            offsets,
            weights,
            training_sampler=sampler)
    assert calls == [expected]
    assert_close_to_mmcv(out, value, shapes, references, offsets, weights)
    # Traced (ONNX export): the grid_sample form, the same values.
    calls.clear()
    with torch.no_grad():
        traced = torch.jit.trace(
            lambda v: deformable_sample(v, shapes, starts, references, offsets,
                                        weights), (value, ),
            check_trace=False)
    assert calls == ['deformable_attn_grid_sample_at']
    torch.testing.assert_close(traced(value), out, rtol=1e-5, atol=1e-6)


def test_mixed_precision_samples_in_float32_and_returns_the_value_dtype():
    value, shapes, starts, references, offsets, weights = sampling_inputs()
    with torch.no_grad():
        expected = deformable_sample(value, shapes, starts, references,
                                     offsets, weights)
        low = deformable_sample(value.bfloat16(), shapes, starts,
                                references.bfloat16(), offsets.bfloat16(),
                                weights.bfloat16())
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), expected, rtol=0.05, atol=0.05)
