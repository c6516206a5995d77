import pytest
import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmcv.ops.multi_scale_deform_attn import \
    multi_scale_deformable_attn_pytorch

from mmseqformer.models.layers import (DualProjectionMSDA, FrameFoldedMSDA,
                                       valid_im2col_step)
from mmseqformer.models.layers.msda import GATHER_TRAINING_MIN_DIMS
from mmseqformer.models.layers.deformable_sampling import (
    deformable_attn_gather, deformable_attn_gather_at, sampling_locations_from)

SHAPES = torch.tensor([[6, 8], [3, 4]])
STARTS = torch.tensor([0, 48])


@pytest.mark.parametrize('batch, step, expected', [(70, 64, 35), (64, 64, 64),
                                                   (5, 64, 5), (7, 3, 1),
                                                   (12, 8, 6)])
def test_valid_im2col_step_divides_the_batch(batch, step, expected):
    assert valid_im2col_step(batch, step) == expected


def _inputs(batch=3, queries=4, dims=16, ref_dims=2):
    torch.manual_seed(0)
    num_value = int(SHAPES.prod(1).sum())
    query = torch.randn(batch, queries, dims)
    value = torch.randn(batch, num_value, dims)
    reference = torch.rand(batch, queries, 2, ref_dims) * 0.8 + 0.1
    mask = torch.zeros(batch, num_value, dtype=torch.bool)
    mask[:, -4:] = True
    return query, value, reference, mask


@pytest.mark.parametrize('ref_dims', [2, 4])
def test_forward_equals_mmcv_multi_scale_deformable_attention(ref_dims):
    kwargs = dict(
        embed_dims=16, num_heads=2, num_levels=2, num_points=2, dropout=0.0)
    attn = FrameFoldedMSDA(**kwargs)
    torch.nn.init.normal_(attn.sampling_offsets.weight, std=0.1)
    torch.nn.init.normal_(attn.attention_weights.weight, std=0.1)
    mmcv_attn = MultiScaleDeformableAttention(batch_first=True, **kwargs)
    mmcv_attn.load_state_dict(attn.state_dict())
    query, value, reference, mask = _inputs(ref_dims=ref_dims)
    pos = torch.randn_like(query)
    inputs = dict(
        value=value,
        query_pos=pos,
        reference_points=reference,
        spatial_shapes=SHAPES,
        level_start_index=STARTS,
        key_padding_mask=mask)
    expected = mmcv_attn(query, **inputs)
    torch.testing.assert_close(attn(query, **inputs), expected)
    sampled = attn.sample(query + pos, value, reference, SHAPES, STARTS, mask)
    torch.testing.assert_close(attn.output_proj(sampled) + query, expected)


def test_dual_projection_shares_the_samples():
    attn = DualProjectionMSDA(
        embed_dims=16, num_heads=2, num_levels=2, num_points=2)
    query, value, reference, mask = _inputs()
    inst, box = attn(query, value, reference, SHAPES, STARTS, mask)
    sampled = attn.sample(query, value, reference, SHAPES, STARTS, mask)
    torch.testing.assert_close(inst, attn.output_proj(sampled))
    torch.testing.assert_close(box, attn.output_proj_box(sampled))
    assert not torch.allclose(inst, box)


def test_folded_batch_equals_one_entry_at_a_time():
    attn = DualProjectionMSDA(
        embed_dims=16, num_heads=2, num_levels=2, num_points=2)
    query, value, reference, mask = _inputs(batch=5)
    inst, _ = attn(query, value, reference, SHAPES, STARTS, mask)
    for b in range(5):
        single, _ = attn(query[b:b + 1], value[b:b + 1], reference[b:b + 1],
                         SHAPES, STARTS, mask[b:b + 1])
        torch.testing.assert_close(single[0], inst[b])


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
    torch.testing.assert_close(
        actual,
        multi_scale_deformable_attn_pytorch(
            value, shapes, sampling_locations_from(references, offsets,
                                                   shapes), weights),
        rtol=1e-5,
        atol=1e-6)


@pytest.mark.parametrize('ref_dims', [2, 4])
def test_training_with_the_gather_equals_mmcv_in_float64(ref_dims):
    """From GATHER_TRAINING_MIN_DIMS channels per head, training samples
    with the gather: the same output and gradients (query, value,
    reference points, every parameter) as mmcv's module, in float64."""
    kwargs = dict(
        embed_dims=2 * GATHER_TRAINING_MIN_DIMS,
        num_heads=2,
        num_levels=2,
        num_points=2,
        dropout=0.0)
    attn = FrameFoldedMSDA(**kwargs).double()
    torch.nn.init.normal_(attn.sampling_offsets.weight, std=0.1)
    torch.nn.init.normal_(attn.attention_weights.weight, std=0.1)
    mmcv_attn = MultiScaleDeformableAttention(
        batch_first=True, **kwargs).double()
    mmcv_attn.load_state_dict(attn.state_dict())
    query, value, reference, mask = (
        t.double() if t.is_floating_point() else t
        for t in _inputs(dims=kwargs['embed_dims'], ref_dims=ref_dims))
    results = []
    for module in (attn, mmcv_attn):
        leaves = [
            t.clone().requires_grad_() for t in (query, value, reference)
        ]
        out = module(
            leaves[0],
            value=leaves[1],
            reference_points=leaves[2],
            spatial_shapes=SHAPES,
            level_start_index=STARTS,
            key_padding_mask=mask)
        grads = torch.autograd.grad(
            (out *
             torch.linspace(-1, 1, out.numel()).view_as(out).double()).sum(),
            leaves + list(module.parameters()))
        results.append((out, grads))
    (out, grads), (expected, expected_grads) = results
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
