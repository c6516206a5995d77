"""SeqFormer's deformable attentions: mmcv's module for folded batches,
and the dual projection."""
import pytest
import torch
from mmcv.ops import MultiScaleDeformableAttention

from mmseqformer.models.layers import DualProjectionMSDA, FrameFoldedMSDA
from mmseqformer.ops.msda_sampling import TRAINING_SAMPLERS

SHAPES = torch.tensor([[6, 8], [3, 4]])
STARTS = torch.tensor([0, 48])


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


@pytest.mark.parametrize('sampler', TRAINING_SAMPLERS)
@pytest.mark.parametrize('ref_dims', [2, 4])
def test_training_with_either_sampler_equals_mmcv_in_float64(
        ref_dims, sampler):
    """Both training samplers give the same output and gradients (query,
    value, reference points, every parameter) as mmcv's module, in
    float64."""
    kwargs = dict(
        embed_dims=16, num_heads=2, num_levels=2, num_points=2, dropout=0.0)
    attn = FrameFoldedMSDA(training_sampler=sampler, **kwargs).double()
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


def test_an_unknown_training_sampler_is_named():
    with pytest.raises(ValueError, match="'bilinear'"):
        FrameFoldedMSDA(
            embed_dims=16, num_heads=2, training_sampler='bilinear')


def test_the_demo_config_trains_every_attention_with_gather(monkeypatch):
    """Every deformable attention of the demo model trains with the gather
    sampler (the default), not mmcv's grid_sample path."""
    from mmdet.registry import MODELS
    from mmengine.config import Config

    from mmseqformer.ops import msda_sampling
    from mmseqformer.testing import TINY_CONFIG
    from mmseqformer.utils.config_lookup import find_config
    model = MODELS.build(Config.fromfile(find_config(TINY_CONFIG)).model)
    attentions = [m for m in model.modules() if isinstance(m, FrameFoldedMSDA)]
    assert len(attentions) == 5  # 2 encoder and 3 decoder layers
    assert {attn.training_sampler for attn in attentions} == {'gather'}
    calls = []
    for name in ('multi_scale_deformable_attn_pytorch',
                 'deformable_attn_gather_at'):
        real = getattr(msda_sampling, name)
        monkeypatch.setattr(
            msda_sampling,
            name,
            lambda *args, real=real, name=name: calls.append(name) or real(
                *args))
    encoder_attn = attentions[0]
    dims = encoder_attn.embed_dims
    torch.manual_seed(0)
    encoder_attn(
        torch.randn(2, 5, dims),
        value=torch.randn(2, 65, dims),
        reference_points=torch.rand(2, 5, 4, 2),
        spatial_shapes=torch.tensor([[6, 8], [3, 4], [2, 2], [1, 1]]),
        level_start_index=torch.tensor([0, 48, 60, 64]))
    assert calls == ['deformable_attn_gather_at']
