"""tools/analysis_tools/flop_count.py and the floor lines of
benchmark_video_inference.py."""
import pytest
import torch
from torch import nn

from mmseqformer.models.layers.cpu_fused_ffn import CPUFusedFFN
from tests.conftest import run_analysis_tool_module


@pytest.fixture(scope='module')
def counter_class():
    return run_analysis_tool_module('flop_count.py')['ArithmeticCounter']


def test_counts_matrix_products_and_convolutions(counter_class):
    linear = nn.Linear(8, 5)  # addmm: 2 * 7 * 8 * 5
    conv = nn.Conv2d(3, 4, 3, padding=1)  # 2 * (4 * 6 * 6) * (3 * 3 * 3)
    a, b = torch.randn(2, 3, 6), torch.randn(2, 6, 5)  # bmm: 2 * 2*3*6*5
    with torch.no_grad(), counter_class() as counter:
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


def test_counts_the_fused_ffn_as_its_two_linears(counter_class):
    ffn = CPUFusedFFN(embed_dims=8, feedforward_channels=16).eval()
    if not ffn._fusable:
        pytest.skip('no oneDNN in this torch build')
    with torch.no_grad(), counter_class() as counter:
        ffn(torch.randn(2, 5, 8))
    assert list(counter.by_op) == ['mkldnn._linear_pointwise']
    assert counter.total == 2 * 10 * 8 * 16 * 2


def test_floor_lines():
    tool = run_analysis_tool_module('benchmark_video_inference.py')
    rows = [
        dict(mode='streaming', frames=10, s_per_frame=1.0),
        dict(mode='official', frames=10, s_per_frame=4.0),
        dict(mode='whole', frames=10, skipped=30.0)
    ]
    assert tool['floor_lines'](rows, 100.0, 200.0) == [
        'arithmetic: 100.0 GFLOP per frame; at this rate the floor is 0.50 '
        's per frame', 'streaming, 10 frames: 2.00x the floor'
    ]
