import pytest
import torch
from mmcv.cnn.bricks.transformer import FFN

from mmseqformer.models.layers.row_ffn import RowFFN

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
