"""mmseqformer.benchmark.memory: peak counters and the projection."""
import mmap

import numpy as np
import pytest

from mmseqformer.benchmark import (PeakMemory, current_rss_gb,
                                   process_peak_rss_gb, projected_gb)


def test_projection_is_linear_in_the_last_two_points():
    # 1.0 GB at 5 frames, 4.1 at 36: 0.1 GB per frame.
    assert projected_gb([(1, 9.0), (5, 1.0), (36, 4.1)],
                        1000) == pytest.approx(100.5)
    assert projected_gb([(5, 1.0)], 1000) == 0.0


def test_cpu_peak_sees_a_large_allocation():
    memory = PeakMemory('cpu')
    memory.reset()
    before = memory.peak_gb()
    # 64 MB of fresh pages, touched (an anonymous map: the heap may hold
    # freed memory that is already resident, e.g. after malloc tuning).
    block = mmap.mmap(-1, 64 * 2**20)
    np.frombuffer(block, dtype=np.uint8)[::4096] = 1
    after = memory.peak_gb()
    block.close()
    assert after - before > 0.05
    assert memory.kind in ('RSS', 'process RSS')
    assert 0 < current_rss_gb() <= process_peak_rss_gb() + 1e-6
