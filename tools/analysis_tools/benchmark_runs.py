"""What the benchmark scripts share: child processes that print JSON lines,
peak-memory counters, timing with device synchronisation, machine info.

A measurement runs in a child process (a fresh Python that imports the
benchmark script with ``--child``) and prints one JSON object per line;
the parent reads them back, so a crash or an out-of-memory kill costs one
child, not the whole table.
"""
import datetime
import json
import platform
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from typing import Callable, List, Optional, Sequence, Tuple

import torch

#: The prefix of the lines a child prints for its parent.
RESULT_PREFIX = 'RESULT '


def emit(row: dict) -> None:
    """Print one result line for the parent (flushed at once)."""
    print(RESULT_PREFIX + json.dumps(row), flush=True)


def run_child(
        command: Sequence[str],
        timeout: Optional[float] = None,
        on_row: Optional[Callable[[dict],
                                  None]] = None) -> Tuple[List[dict], str]:
    """Run ``command`` and collect the rows it prints with :func:`emit`.

    Args:
        command (Sequence[str]): The child's command line.
        timeout (float, optional): Seconds after which the child is killed.
        on_row (callable, optional): Called with each row as it arrives.

    Returns:
        tuple: The rows, and the end of its stderr if it failed (exit
        status, signal or timeout; empty if it succeeded). Rows printed
        before a failure are kept.
    """
    rows = []
    killed = []
    with tempfile.TemporaryFile('w+') as stderr:
        # stderr goes to a file: a full pipe would block the child.
        process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=stderr, text=True)
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda:
                                    (killed.append(1), process.kill()))
            timer.start()
        try:
            for line in process.stdout:
                if line.startswith(RESULT_PREFIX):
                    rows.append(json.loads(line[len(RESULT_PREFIX):]))
                    if on_row is not None:
                        on_row(rows[-1])
            code = process.wait()
        finally:
            if timer is not None:
                timer.cancel()
        stderr.seek(0)
        error = stderr.read().strip()[-2000:]
    if killed:
        return rows, f'{error}\ntimed out after {timeout} s'.strip()
    if code != 0:
        return rows, error or f'exit status {code}'
    return rows, ''


def last_error_line(error: str) -> str:
    """The most telling line of a child's stderr (the exception line)."""
    lines = [line for line in error.splitlines() if line.strip()]
    return lines[-1].strip() if lines else 'failed'


def synchronize(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


def timed_repeats(run: Callable[[], None], device: str, repeats: int,
                  max_seconds: float) -> List[float]:
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
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        seconds.append(time.perf_counter() - start)
    return 2 * size**3 / median(seconds) / 1e9


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
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def machine_info(device: str) -> dict:
    """Date, host processor and GPU, and the versions that matter."""
    info = dict(
        date=datetime.datetime.now().astimezone().isoformat(
            timespec='seconds'),
        device=device,
        cpu=_cpu_name(),
        cpu_threads=torch.get_num_threads(),
        python=platform.python_version(),
        torch=torch.__version__)
    for name in ('mmcv', 'mmengine', 'mmdet'):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    if device.startswith('cuda'):
        properties = torch.cuda.get_device_properties(device)
        info.update(
            gpu=properties.name,
            gpu_memory_gb=round(properties.total_memory / 2**30, 1),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version())
    return info


def _cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as file:
            for line in file:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
