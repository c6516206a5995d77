"""Peak memory of a stretch of work, and its projection to longer videos."""
import os
import resource
from typing import Sequence, Tuple

import torch


class PeakMemory:
    """Peak memory of a stretch of work in this process.

    On CUDA, the allocator's peak (``torch.cuda.max_memory_allocated``:
    tensors, not the allocator's cache or the CUDA context). On the CPU,
    the peak resident set size (``VmHWM``), reset at :meth:`reset` through
    ``/proc/self/clear_refs`` where Linux allows it; elsewhere the
    process's peak so far (``ru_maxrss``), which :attr:`kind` says.
    """

    def __init__(self, device: str) -> None:
        self.device = device
        self.kind = 'GPU' if device.startswith('cuda') else 'RSS'

    def reset(self) -> None:
        if self.kind == 'GPU':
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        try:
            with open('/proc/self/clear_refs', 'w') as file:
                file.write('5')  # resets VmHWM to the current RSS
        except OSError:
            self.kind = 'process RSS'

    def peak_gb(self) -> float:
        if self.kind == 'GPU':
            return torch.cuda.max_memory_allocated(self.device) / 2**30
        if self.kind == 'RSS':
            with open('/proc/self/status') as file:
                for line in file:
                    if line.startswith('VmHWM:'):
                        return int(line.split()[1]) / 2**20
        return process_peak_rss_gb()


def process_peak_rss_gb() -> float:
    """Peak resident memory of this process since it started
    (``ru_maxrss``: model, Python and everything else), in GiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def current_rss_gb() -> float:
    """Resident memory now (not the peak), from ``/proc/self/statm``."""
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**30


def projected_gb(points: Sequence[Tuple[int, float]], frames: int) -> float:
    """Peak memory at ``frames``, extrapolated linearly from the last two
    ``(frames, peak GB)`` points measured (0 with fewer than two)."""
    if len(points) < 2:
        return 0.0
    (f0, m0), (f1, m1) = points[-2:]
    return m1 + (m1 - m0) / (f1 - f0) * (frames - f1)
