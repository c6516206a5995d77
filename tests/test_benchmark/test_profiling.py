"""mmseqformer.benchmark.profiling: profiled time split into convolutions,
matrix products and everything else, against the arithmetic floor."""
import pytest
import torch
from torch import nn

from mmseqformer.benchmark.profiling import (OTHER_WORK, arithmetic_rows,
                                             arithmetic_table, counted_gflops,
                                             profiled_operators)


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
