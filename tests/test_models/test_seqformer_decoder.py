import pytest
import torch
from mmdet.models.layers.transformer import MLP
from torch import nn

from mmseqformer.models.layers import SeqFormerDecoder, refine_boxes

DIMS, HEADS, LEVELS = 16, 2, 2
SHAPES = torch.tensor([[4, 6], [2, 3]])
STARTS = torch.tensor([0, 24])


def build(num_layers=2, **layer_kwargs):
    torch.manual_seed(0)
    layer_cfg = dict(
        self_attn_cfg=dict(
            embed_dims=DIMS,
            num_heads=HEADS,
            attn_drop=0.0,
            proj_drop=0.0,
            batch_first=True),
        cross_attn_cfg=dict(
            embed_dims=DIMS, num_heads=HEADS, num_levels=LEVELS, num_points=2),
        ffn_cfg=dict(embed_dims=DIMS, feedforward_channels=32, ffn_drop=0.0),
        dropout=0.0,
        **layer_kwargs)
    decoder = SeqFormerDecoder(num_layers, layer_cfg).eval()
    for layer in decoder.layers:  # non-trivial sampling
        nn.init.normal_(layer.cross_attn.sampling_offsets.weight, std=0.2)
        nn.init.normal_(layer.cross_attn.attention_weights.weight, std=0.2)
        if layer.frame_weight_fc is not None:
            nn.init.normal_(layer.frame_weight_fc.weight, std=0.5)
    reg = nn.ModuleList([MLP(DIMS, DIMS, 4, 3) for _ in range(num_layers)])
    return decoder, reg


def inputs(bs=2, frames=3, queries=4):
    torch.manual_seed(1)
    num_value = int(SHAPES.prod(1).sum())
    return dict(
        query=torch.randn(bs, queries, DIMS),
        query_pos=torch.randn(bs, queries, DIMS),
        value=torch.randn(bs * frames, num_value, DIMS),
        key_padding_mask=torch.zeros(bs * frames, num_value, dtype=torch.bool),
        reference_points=torch.rand(bs, 1, queries,
                                    2).expand(-1, frames, -1, -1),
        spatial_shapes=SHAPES,
        level_start_index=STARTS,
        valid_ratios=torch.ones(bs * frames, LEVELS, 2))


def test_output_shapes_and_references():
    decoder, reg = build()
    inst, box, boxes, refs = decoder(**inputs(), reg_branches=reg)
    assert inst.shape == (2, 2, 4, DIMS) and box.shape == (2, 2, 3, 4, DIMS)
    assert [b.shape for b in boxes] == [(2, 3, 4, 4)] * 2
    assert refs[0].shape == (2, 3, 4, 2) and refs[1].shape == (2, 3, 4, 4)
    torch.testing.assert_close(refs[1], boxes[0].detach())
    assert all(((b > 0) & (b < 1)).all() for b in boxes)


def test_temporal_weights_sum_to_one_over_frames():
    decoder, _ = build()
    weights = decoder.layers[0].frame_weights(torch.randn(2, 5, 4, DIMS))
    assert weights.shape == (2, 5, 4, 1)
    torch.testing.assert_close(weights.sum(1), torch.ones(2, 4, 1))


def test_box_queries_of_a_frame_only_see_that_frame():
    decoder, reg = build()
    data = inputs()
    inst, box, boxes, _ = decoder(**data, reg_branches=reg)
    changed = dict(data, value=data['value'].clone())
    changed['value'][1] += 1.0  # clip 0, frame 1
    inst2, box2, boxes2, _ = decoder(**changed, reg_branches=reg)
    torch.testing.assert_close(box2[:, 0, 0], box[:, 0, 0])  # frame 0
    torch.testing.assert_close(box2[:, 0, 2], box[:, 0, 2])  # frame 2
    torch.testing.assert_close(box2[:, 1], box[:, 1])  # other clip
    assert not torch.allclose(box2[:, 0, 1], box[:, 0, 1])
    # The instance query reads every frame.
    assert not torch.allclose(inst2[-1, 0], inst[-1, 0])
    torch.testing.assert_close(inst2[-1, 1], inst[-1, 1])


@pytest.mark.parametrize('aggregation', ['weighted', 'average', 'sum'])
def test_aggregation_modes(aggregation):
    decoder, _ = build(aggregation=aggregation)
    layer = decoder.layers[0]
    feats = torch.randn(2, 3, 4, DIMS)
    boxq = torch.randn(2, 3, 4, DIMS)
    if aggregation == 'weighted':
        expected = (layer.frame_weights(boxq) * feats).sum(1)
    else:
        expected = feats.sum(1) if aggregation == 'sum' else feats.mean(1)
        assert layer.frame_weight_fc is None
    torch.testing.assert_close(layer.aggregate(feats, boxq), expected)


def test_one_frame_weighted_equals_average():
    weighted, reg = build(aggregation='weighted')
    average, _ = build(aggregation='average')
    average.load_state_dict(weighted.state_dict(), strict=False)
    data = inputs(frames=1)
    out_w = weighted(**data, reg_branches=reg)
    out_a = average(**data, reg_branches=reg)
    torch.testing.assert_close(out_w[0], out_a[0])


def test_without_query_decomposition_box_queries_restart_each_layer():
    decoder, reg = build(query_decompose=False)
    inst, box, _, _ = decoder(**inputs(), reg_branches=reg)
    assert box.shape == (2, 2, 3, 4, DIMS) and torch.isfinite(inst).all()


def test_refine_boxes():
    deltas = torch.zeros(1, 4)
    point = torch.tensor([[0.25, 0.75]])
    torch.testing.assert_close(
        refine_boxes(deltas, point), torch.tensor([[0.25, 0.75, 0.5, 0.5]]))
    box = torch.tensor([[0.2, 0.4, 0.1, 0.3]])
    torch.testing.assert_close(refine_boxes(deltas, box), box)
