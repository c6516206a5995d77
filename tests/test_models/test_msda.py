import pytest
import torch

from mmseqformer.models.layers import (DualProjectionMSDA, FrameFoldedMSDA,
                                       valid_im2col_step)

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
def test_sample_then_project_equals_mmcv_forward(ref_dims):
    attn = FrameFoldedMSDA(
        embed_dims=16, num_heads=2, num_levels=2, num_points=2, dropout=0.0)
    torch.nn.init.normal_(attn.sampling_offsets.weight, std=0.1)
    torch.nn.init.normal_(attn.attention_weights.weight, std=0.1)
    query, value, reference, mask = _inputs(ref_dims=ref_dims)
    expected = attn(
        query,
        value=value,
        identity=torch.zeros_like(query),
        reference_points=reference,
        spatial_shapes=SHAPES,
        level_start_index=STARTS,
        key_padding_mask=mask)
    sampled = attn.sample(query, value, reference, SHAPES, STARTS, mask)
    torch.testing.assert_close(attn.output_proj(sampled), expected)


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
