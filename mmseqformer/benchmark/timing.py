"""Wall-clock timing with the device synchronised, and the machine's
matrix-product rate."""
import math
import statistics
import time
from typing import Callable, List, Sequence

import torch


def synchronize(device: str) -> None:
    """Wait for the work queued on a CUDA ``device`` (no-op on the CPU)."""
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


def timed_repeats(run: Callable[[], None],
                  device: str,
                  repeats: int,
                  max_seconds: float = math.inf) -> List[float]:
    """Seconds of each timed call of ``run`` (warm up before calling this).

    The device is synchronised after each call, so queued GPU work is
    inside the time. Calls stop after ``repeats``, or earlier once they
    took ``max_seconds`` together (at least one call).
    """
    synchronize(device)
    seconds = []
    while len(seconds) < repeats and (not seconds
                                      or sum(seconds) < max_seconds):
        start = time.perf_counter()
        run()
        synchronize(device)
        seconds.append(time.perf_counter() - start)
    return seconds


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def matmul_gflops(size: int = 2048, repeats: int = 10) -> float:
    """This machine's float32 matrix-product rate on the CPU right now
    (GFLOP/s, median of ``repeats`` (size x size) products with torch's
    threads): what arithmetic-bound code can reach."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    seconds = timed_repeats(lambda: a @ b, 'cpu', repeats)
    return 2 * size**3 / median(seconds) / 1e9
