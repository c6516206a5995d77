"""mmseqformer.benchmark.profiling: profiled time split into convolutions,
matrix products and everything else, against the arithmetic floor; on a
GPU, kernel launches, host waits and busy time."""
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmseqformer.benchmark.profiling import (OTHER_WORK, arithmetic_rows,
                                             arithmetic_table, counted_gflops,
                                             launch_summary,
                                             other_operator_table,
                                             other_operators,
                                             profiled_operators, self_time_us)


def test_work_is_split_by_kind_with_the_counted_arithmetic():
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 16, 3, padding=1)
    linear = nn.Linear(64, 32)
    frames, images, rows = 2, torch.randn(2, 8, 24, 24), torch.randn(50, 64)

    @torch.no_grad()
    def run():
        for _ in range(3):
            conv(images).relu_()  # relu_: neither kind
            linear(rows)
            torch.randn(20000).exp_()

    run()
    gflops = counted_gflops(run, frames)
    conv_gflops = 3 * 2 * (2 * 16 * 24 * 24) * (8 * 9) / frames / 1e9
    linear_gflops = 3 * 2 * 50 * 64 * 32 / frames / 1e9
    assert gflops == pytest.approx({
        'convolutions': conv_gflops,
        'matrix products': linear_gflops
    })
    events = profiled_operators(run, shapes=False)
    work = {
        row['kind']: row
        for row in arithmetic_rows(events, gflops, frames, rate=10.0)
    }
    assert list(work) == [
        'convolutions', 'matrix products', OTHER_WORK, 'total'
    ]
    for kind in ('convolutions', 'matrix products', OTHER_WORK):
        assert work[kind]['seconds'] > 0
    assert work['total']['seconds'] == pytest.approx(
        sum(event.self_cpu_time_total for event in events) / 1e6 / frames)
    conv_row = work['convolutions']
    assert conv_row['achieved'] == pytest.approx(conv_gflops /
                                                 conv_row['seconds'])
    assert conv_row['floor'] == pytest.approx(conv_gflops / 10.0)
    assert work['total']['floor'] == pytest.approx(
        (conv_gflops + linear_gflops) / 10.0)
    assert work[OTHER_WORK]['achieved'] is None
    table = arithmetic_table(list(work.values()), rate=10.0)
    assert 'floor at 10 GFLOP/s' in table and table.count('\n') == 5


def _event(key, count, cpu_us, device_us=0.0, device_type='DeviceType.CPU'):
    """The fields of a profiler ``FunctionEventAvg`` that the CUDA report
    reads."""
    return SimpleNamespace(
        key=key,
        count=count,
        self_cpu_time_total=cpu_us,
        self_device_time_total=device_us,
        device_type=device_type)


def test_launch_summary_counts_launches_waits_and_kernel_time():
    events = [
        _event('aten::mm', 20, 900.0, device_us=4000.0),
        _event('cudaLaunchKernel', 300, 1500.0),
        _event('cuLaunchKernel', 100, 500.0),
        _event('cudaStreamSynchronize', 6, 3000.0),
        _event('cudaMemcpy', 4, 200.0),
        _event('cudaMemcpyAsync', 50, 100.0),  # no wait
        _event('sm90_gemm', 20, 0.0, 4000.0, 'DeviceType.CUDA'),
        _event('elementwise', 380, 0.0, 2000.0, 'DeviceType.CUDA'),
    ]
    summary = launch_summary(events, frames=2, seconds=0.03)
    assert summary['launches'] == 200  # (300 + 100) / 2
    assert summary['syncs'] == 5  # (6 + 4) / 2
    # The kernels' own events, not the operator that launched them again.
    assert summary['kernel_ms'] == pytest.approx(3.0)
    assert summary['busy'] == pytest.approx(0.006 / 0.03)
    assert self_time_us(events[0], 'cuda') == 4000.0
    assert self_time_us(events[0], 'cpu') == 900.0


def test_other_operators_lists_the_non_arithmetic_above_the_share():
    frames = 4
    events = [
        _event('aten::addmm', 40, 600.0),  # arithmetic: never listed
        _event('aten::copy_', 80, 200.0),  # 20%
        _event('aten::add', 400, 30.0),  # 3%
        _event('aten::cat', 8, 19.0),  # 1.9%: below 2%
        _event('aten::mkldnn_convolution', 4, 100.0),
        _event('aten::_embedding_bag_forward_only', 16, 51.0),  # 5.1%
    ]
    rows = other_operators(events, frames)
    assert [row['operator'] for row in rows] == [
        'aten::copy_', 'aten::_embedding_bag_forward_only', 'aten::add'
    ]
    copy = rows[0]
    assert copy['calls'] == 20
    assert copy['seconds'] == pytest.approx(200e-6 / frames)
    assert copy['share'] == pytest.approx(0.2)
    assert [row['operator']
            for row in other_operators(events, frames, 0.0)][-1] == 'aten::cat'
    table = other_operator_table(rows)
    assert table.count('\n') == 4 and '| aten::copy_ | 20 | 0.1 | 20.0% |' \
        in table
