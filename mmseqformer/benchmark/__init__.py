"""Benchmarks as a library: the workloads, timing, memory, FLOP counting
and the official-code runner behind ``tools/analysis_tools/benchmark.py``
and ``tools/analysis_tools/official/``.

The modules exported here need only torch and numpy: the official code's
environment imports them too (:func:`child_command` with
``standalone=True``). The benchmarks themselves are modules of their own
(:mod:`.gpu_benchmark`, :mod:`.video_inference`, :mod:`.training_parity`,
:mod:`.mode_comparison`, :mod:`.mode_memory`, :mod:`.onnx_speed`,
:mod:`.profiling`), imported where they are used.
"""
from .child_process import (child_command, emit, last_error_line, run_child,
                            run_one_row)
from .flop_count import ArithmeticCounter
from .machine import cpu_name, machine_info
from .memory import (PeakMemory, current_rss_gb, process_peak_rss_gb,
                     projected_gb)
from .pattern_frames import PatternFrames
from .timing import matmul_gflops, median, synchronize, timed_repeats

__all__ = [
    'ArithmeticCounter', 'PatternFrames', 'PeakMemory', 'child_command',
    'cpu_name', 'current_rss_gb', 'emit', 'last_error_line', 'machine_info',
    'matmul_gflops', 'median', 'process_peak_rss_gb', 'projected_gb',
    'run_child', 'run_one_row', 'synchronize', 'timed_repeats'
]
