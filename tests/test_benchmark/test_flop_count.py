"""mmseqformer.benchmark.flop_count: what the arithmetic counter counts."""
import pytest
import torch
from torch import nn

from mmseqformer.benchmark import ArithmeticCounter
from mmseqformer.benchmark.flop_count import arithmetic_kind
from mmseqformer.ops import CPUFusedFFN


def test_counts_matrix_products_and_convolutions():
    linear = nn.Linear(8, 5)  # addmm: 2 * 7 * 8 * 5
    conv = nn.Conv2d(3, 4, 3, padding=1)  # 2 * (4 * 6 * 6) * (3 * 3 * 3)
    a, b = torch.randn(2, 3, 6), torch.randn(2, 6, 5)  # bmm: 2 * 2*3*6*5
    with torch.no_grad(), ArithmeticCounter() as counter:
        linear(torch.randn(7, 8))
        conv(torch.randn(1, 3, 6, 6))
        torch.bmm(a, b)
        torch.randn(100).relu_()  # elementwise: not counted
    assert counter.by_op == {
        'aten.addmm': 2 * 7 * 8 * 5,
        'aten.convolution': 2 * 4 * 6 * 6 * 27,
        'aten.bmm': 2 * 2 * 3 * 6 * 5
    }
    assert counter.total == sum(counter.by_op.values())
    assert counter.by_kind == {
        'convolutions': 2 * 4 * 6 * 6 * 27,
        'matrix products': 2 * 7 * 8 * 5 + 2 * 2 * 3 * 6 * 5
    }


@pytest.mark.parametrize('operator, kind', [
    ('aten.convolution', 'convolutions'),
    ('aten::mkldnn_convolution', 'convolutions'),
    ('aten::cudnn_convolution', 'convolutions'),
    ('aten.addmm', 'matrix products'),
    ('mkldnn::_linear_pointwise', 'matrix products'),
    ('aten::bmm', 'matrix products'),
])
def test_arithmetic_kinds(operator, kind):
    assert arithmetic_kind(operator) == kind


def test_counts_the_fused_ffn_as_its_two_linears():
    ffn = CPUFusedFFN(embed_dims=8, feedforward_channels=16).eval()
    if not ffn._fusable:
        pytest.skip('no oneDNN in this torch build')
    with torch.no_grad(), ArithmeticCounter() as counter:
        ffn(torch.randn(2, 5, 8))
    assert list(counter.by_op) == ['mkldnn._linear_pointwise']
    assert counter.total == 2 * 10 * 8 * 16 * 2
