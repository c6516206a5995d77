import pytest
import torch
from mmcv.cnn.bricks.transformer import FFN

from mmseqformer.ops.row_ffn import RowFFN

CFG = dict(
    embed_dims=8,
    feedforward_channels=24,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))


def graph_node_names(tensor):
    seen, stack, names = set(), [tensor.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.add(node.name())
        stack.extend(next_node for next_node, _ in node.next_functions)
    return names


@pytest.mark.parametrize('shape', [(2, 5, 8), (7, 8), (2, 3, 4, 8)])
@pytest.mark.parametrize('with_identity', [False, True])
def test_equals_mmcv_ffn_bit_for_bit(shape, with_identity):
    torch.manual_seed(0)
    reference = FFN(**CFG)
    ours = RowFFN(**CFG)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(*shape, requires_grad=True)
    identity = torch.randn(*shape) if with_identity else None
    expected, actual = reference(x, identity), ours(x, identity)
    assert actual.shape == expected.shape
    assert torch.equal(actual, expected)
    grad = torch.randn(shape)
    inputs = [x] + list(reference.parameters())
    want = torch.autograd.grad(expected, inputs, grad)
    got = torch.autograd.grad(actual, [x] + list(ours.parameters()), grad)
    assert all(torch.equal(a, b) for a, b in zip(got, want))


def test_relu_does_not_write_through_a_view():
    """mmcv's FFN on (B, L, C) records its in-place ReLU as a CopySlices of
    the hidden layer (a whole extra copy in the backward); ours does not."""
    x = torch.randn(2, 5, 8, requires_grad=True)
    assert 'torch::autograd::CopySlices' in graph_node_names(FFN(**CFG)(x))
    names = graph_node_names(RowFFN(**CFG)(x))
    assert 'torch::autograd::CopySlices' not in names
    assert 'ReluBackward0' in names


def seeded_outputs(module, x, identity=None, seed=3):
    torch.manual_seed(seed)
    out = module(x, identity)
    return out, torch.rand(3)  # the random state after the call


@pytest.mark.parametrize('dropout_layer', [
    dict(type='Dropout', drop_prob=0.3),
    dict(type='DropPath', drop_prob=0.3), None
])
@pytest.mark.parametrize('num_fcs', [2, 3])
def test_training_dropout_draws_as_mmcv(dropout_layer, num_fcs):
    """Same masks from the same seed (and the same random state after):
    element-wise dropouts see the same number of elements in rows;
    per-sample DropPath takes mmcv's path."""
    cfg = dict(CFG, ffn_drop=0.2, num_fcs=num_fcs, dropout_layer=dropout_layer)
    reference = FFN(**cfg).train()
    ours = RowFFN(**cfg).train()
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(3, 4, 8)
    want, want_state = seeded_outputs(reference, x)
    got, got_state = seeded_outputs(ours, x)
    assert torch.equal(got, want) and torch.equal(got_state, want_state)


@pytest.mark.parametrize('x_shape,identity_shape', [((2, 5, 8), (5, 8)),
                                                    ((2, 5, 8), (1, 5, 8)),
                                                    ((1, 5, 8), (5, 1, 8))])
def test_broadcast_identity_as_mmcv(x_shape, identity_shape):
    reference = FFN(**CFG)
    ours = RowFFN(**CFG)
    ours.load_state_dict(reference.state_dict())
    x, identity = torch.randn(x_shape), torch.randn(identity_shape)
    want = reference(x, identity)
    got = ours(x, identity)
    assert got.shape == want.shape and torch.equal(got, want)


def test_model_ffns_train_without_copyslices():
    """The encoder's FFN (the fused class, in training) and the decoder's
    two FFNs are row FFNs whose graphs have no CopySlices."""
    from mmseqformer.models.layers import (FrameFoldedEncoderLayer,
                                           SeqFormerDecoder)
    encoder_layer = FrameFoldedEncoderLayer(
        self_attn_cfg=dict(embed_dims=16, num_heads=2, num_levels=1),
        ffn_cfg=dict(embed_dims=16, feedforward_channels=32)).train()
    decoder = SeqFormerDecoder(
        1,
        dict(
            self_attn_cfg=dict(embed_dims=16, num_heads=2, batch_first=True),
            cross_attn_cfg=dict(embed_dims=16, num_heads=2, num_levels=1),
            ffn_cfg=dict(embed_dims=16, feedforward_channels=32)))
    ffns = [
        encoder_layer.ffn, decoder.layers[0].ffn, decoder.layers[0].ffn_box
    ]
    x = torch.randn(2, 5, 16, requires_grad=True)
    for ffn in ffns:
        assert isinstance(ffn, RowFFN)
        names = graph_node_names(ffn(x))
        assert 'torch::autograd::CopySlices' not in names
        assert 'ReluBackward0' in names
