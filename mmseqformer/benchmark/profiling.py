"""Where the time of SeqFormer's video inference goes, per stage of the
network and per operator (``tools/analysis_tools/benchmark.py profile``).

:func:`inference_vis` (streaming chunks) runs once to warm up, then once
with wall-clock hooks around the stages (:func:`stages`), then once under
``torch.profiler`` for the operators with their input shapes. Stages nest:
the encoder's deformable attention and FFN are inside ``encoder``;
``other`` is what no top-level stage covers (preprocessing, the instance
path, masks and their RLE encoding).

Then the profiled self time by kind of work: convolutions and matrix
products, with the GFLOP per frame that
:class:`~.flop_count.ArithmeticCounter` counts for them and the rate they
achieve, and everything else; each against its floor at the machine's
square matrix-product rate (:func:`~.timing.matmul_gflops`). A kind
faster than its floor (convolutions on oneDNN can beat the square
product) shows that the floor is a yardstick, not a bound on every
operator. Last, the operators of everything else with at least 2% of the
profiled time (:func:`other_operators`).

The timers (:func:`timed`) and the operator table serve
:mod:`.training_profile` too.
"""
import functools
import time
from collections import defaultdict
from typing import Callable, Dict, List

import torch

from .flop_count import (CONVOLUTIONS, MATRIX_PRODUCTS, ArithmeticCounter,
                         arithmetic_kind, is_arithmetic)
from .markdown import markdown_table
from .timing import matmul_gflops, synchronize

#: The profiled time that is neither kind of counted arithmetic.
OTHER_WORK = 'everything else'
#: The stages that do not nest in one another; ``other`` is the rest.
TOP_LEVEL = ('backbone', 'neck', 'encoder', 'decoder box path',
             'mask features')


def stages(model: torch.nn.Module) -> dict:
    """Stage name -> (owner, method) timed around each call."""
    encoder_layer = model.encoder.layers[0]
    return {
        'backbone': (model.backbone, 'forward'),
        'neck': (model.neck, 'forward'),
        'encoder': (model.encoder, 'forward'),
        'encoder attention': (type(encoder_layer.self_attn), 'forward'),
        'encoder FFN': (type(encoder_layer.ffn), 'forward'),
        'decoder box path': (model.track_head, 'box_path'),
        'mask features': (model.track_head, 'mask_features'),
    }


def timed(owner,
          name: str,
          label: str,
          totals: dict,
          device: str = 'cpu') -> None:
    """Wrap ``owner.name`` so that its wall time adds to ``totals[label]``
    (a ``defaultdict(float)``; several methods may share a label). A CUDA
    ``device`` is synchronised at both ends, so that queued GPU work counts
    where it was queued."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        synchronize(device)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            synchronize(device)
            totals[label] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def stage_seconds(model: torch.nn.Module,
                  run: Callable[[], None],
                  device: str = 'cpu') -> Dict[str, float]:
    """Seconds of each stage in one call of ``run`` (warm it up first),
    ``other`` and ``total``; a CUDA ``device`` is synchronised around every
    stage. The hooks stay on ``model``."""
    totals = defaultdict(float)
    for label, (owner, name) in stages(model).items():
        timed(owner, name, label, totals, device)
    synchronize(device)
    start = time.perf_counter()
    run()
    synchronize(device)
    totals['total'] = time.perf_counter() - start
    totals['other'] = totals['total'] - sum(totals[label]
                                            for label in TOP_LEVEL)
    return dict(totals)


def stage_table(model: torch.nn.Module, totals: Dict[str, float],
                frames: int) -> str:
    return markdown_table(['stage', 's / frame', 'share'], [[
        label, f'{totals[label] / frames:.3f}',
        f'{totals[label] / totals["total"]:.0%}'
    ] for label in list(stages(model)) + ['other']])


def self_time_us(event, device: str = 'cpu') -> float:
    """An operator event's self time in microseconds: on the CPU its host
    time, on a CUDA device the time of the kernels it launched."""
    if not device.startswith('cuda'):
        return event.self_cpu_time_total
    for name in ('self_device_time_total', 'self_cuda_time_total'):
        if hasattr(event, name):  # the first: torch >= 2.4
            return getattr(event, name)
    return 0.0


def profiled_operators(run: Callable[[], None],
                       shapes: bool = True,
                       device: str = 'cpu') -> list:
    """``torch.profiler``'s events of one call of ``run``, costliest self
    time (:func:`self_time_us`) first; grouped by input shapes when
    ``shapes``. Recording shapes slows the small operators down (at R50
    inference on the CPU the profiled total grows by about three
    quarters), so the time by kind of work comes from a run without them.
    On a CUDA ``device`` the kernels and the CUDA runtime calls are
    recorded too."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.startswith('cuda'):
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(
            activities=activities, record_shapes=shapes) as profiler:
        run()
        synchronize(device)
    return sorted(
        profiler.key_averages(group_by_input_shape=shapes),
        key=lambda event: -self_time_us(event, device))


def operator_table(run: Callable[[], None],
                   frames: int,
                   ops: int,
                   unit: str = 'frame',
                   device: str = 'cpu') -> str:
    """The ``ops`` costliest operators of one call of ``run`` (self time,
    :func:`self_time_us`, grouped by input shapes), in ms per ``unit``: the
    call holds ``frames`` of them."""
    events = profiled_operators(run, device=device)
    if device.startswith('cuda'):  # operators, not their kernels again
        events = [event for event in events if not _is_device_event(event)]
    profiled = sum(self_time_us(event, device) for event in events)
    rows = []
    for event in events[:ops]:
        shapes = str(event.input_shapes).replace('|', '/')
        rows.append([
            event.key, shapes[:80],
            str(event.count),
            f'{self_time_us(event, device) / 1e3 / frames:.1f}',
            f'{self_time_us(event, device) / profiled:.1%}'
        ])
    return markdown_table(
        ['operator', 'input shapes', 'calls', f'ms / {unit}', 'share'], rows)


#: CUDA runtime and driver calls that launch a kernel, and those that make
#: the host wait for the device.
KERNEL_LAUNCHES = ('cudaLaunchKernel', 'cudaLaunchKernelExC', 'cuLaunchKernel',
                   'cuLaunchKernelEx')
HOST_SYNCS = ('cudaDeviceSynchronize', 'cudaStreamSynchronize',
              'cudaEventSynchronize', 'cudaMemcpy')


def _is_device_event(event) -> bool:
    return str(getattr(event, 'device_type', '')).endswith('CUDA')


def launch_summary(events: list, frames: int, seconds: float) -> dict:
    """Whether a CUDA run is bound by its host: per frame, the kernels
    launched, the host's waits for the device and the kernels' time;
    ``busy`` is the kernels' time over the wall-clock ``seconds``.

    Args:
        events (list): :func:`profiled_operators` on a CUDA device.
        frames (int): Frames in the profiled run.
        seconds (float): Its wall-clock time.
    """
    launches = sum(event.count for event in events
                   if event.key in KERNEL_LAUNCHES)
    syncs = sum(event.count for event in events if event.key in HOST_SYNCS)
    kernel_us = sum(
        self_time_us(event, 'cuda') for event in events
        if _is_device_event(event))
    return dict(
        launches=launches / frames,
        syncs=syncs / frames,
        kernel_ms=kernel_us / 1e3 / frames,
        busy=kernel_us / 1e6 / seconds if seconds else 0.0)


def arithmetic_rows(events: list, gflops: Dict[str, float], frames: int,
                    rate: float) -> List[dict]:
    """Profiled time per kind of work, and each kind's achieved rate.

    Args:
        events (list): :func:`profiled_operators` of a ``frames``-frame run.
        gflops (dict): GFLOP per frame of each kind of
            :func:`~.flop_count.arithmetic_kind` (:data:`CONVOLUTIONS`,
            :data:`MATRIX_PRODUCTS`).
        frames (int): Frames in the run.
        rate (float): The machine's square matrix-product rate (GFLOP/s).

    Returns:
        list[dict]: ``kind``, ``gflops`` (per frame, None for the rest),
        ``seconds`` (profiled self time per frame), ``achieved`` (GFLOP/s,
        None for the rest) and ``floor`` (``gflops / rate``, s per frame),
        for convolutions, matrix products, everything else and the total.
    """
    seconds = defaultdict(float)
    for event in events:
        kind = arithmetic_kind(event.key) if is_arithmetic(
            event.key) else OTHER_WORK
        seconds[kind] += event.self_cpu_time_total / 1e6 / frames
    rows = []
    for kind in (CONVOLUTIONS, MATRIX_PRODUCTS):
        rows.append(
            dict(
                kind=kind,
                gflops=gflops.get(kind, 0.0),
                seconds=seconds[kind],
                achieved=gflops.get(kind, 0.0) /
                seconds[kind] if seconds[kind] else None,
                floor=gflops.get(kind, 0.0) / rate))
    rows.append(
        dict(
            kind=OTHER_WORK,
            gflops=None,
            seconds=seconds[OTHER_WORK],
            achieved=None,
            floor=0.0))
    total = sum(gflops.values())
    rows.append(
        dict(
            kind='total',
            gflops=total,
            seconds=sum(seconds.values()),
            achieved=None,
            floor=total / rate))
    return rows


def arithmetic_table(rows: List[dict], rate: float) -> str:
    """Markdown of :func:`arithmetic_rows`."""

    def number(value, digits):
        return '' if value is None else f'{value:.{digits}f}'

    return markdown_table([
        'work', 'GFLOP / frame', 's / frame', 'GFLOP/s achieved',
        f'floor at {rate:.0f} GFLOP/s', 'time / floor'
    ], [[
        row['kind'],
        number(row['gflops'], 1), f'{row["seconds"]:.3f}',
        number(row['achieved'], 0), f'{row["floor"]:.3f}',
        f'{row["seconds"] / row["floor"]:.2f}x' if row['floor'] else ''
    ] for row in rows])


def other_operators(events: list,
                    frames: int,
                    share: float = 0.02) -> List[dict]:
    """The operators outside the counted arithmetic whose self time is at
    least ``share`` of the profiled total, costliest first: what stands
    between the arithmetic and the whole run.

    Args:
        events (list): :func:`profiled_operators` of a ``frames``-frame run
            on the CPU, without shapes (recording them inflates the small
            operators).
        frames (int): Frames in the run.
        share (float): The smallest share of the profiled time listed.

    Returns:
        list[dict]: ``operator``, ``calls`` (per frame), ``seconds`` (self
        time per frame) and ``share`` (of the profiled total).
    """
    total = sum(event.self_cpu_time_total for event in events)
    rows = [
        dict(
            operator=event.key,
            calls=event.count / frames,
            seconds=event.self_cpu_time_total / 1e6 / frames,
            share=event.self_cpu_time_total / total) for event in events
        if not is_arithmetic(event.key) and total
        and event.self_cpu_time_total >= share * total
    ]
    return sorted(rows, key=lambda row: -row['seconds'])


def other_operator_table(rows: List[dict]) -> str:
    """Markdown of :func:`other_operators`."""
    return markdown_table(
        ['operator', 'calls / frame', 'ms / frame', 'share'], [[
            row['operator'], f'{row["calls"]:.0f}',
            f'{row["seconds"] * 1e3:.1f}', f'{row["share"]:.1%}'
        ] for row in rows])


def counted_gflops(run: Callable[[], None], frames: int) -> Dict[str, float]:
    """GFLOP per frame of each kind of arithmetic in one call of ``run``."""
    with ArithmeticCounter() as counter:
        run()
    return {
        kind: flops / frames / 1e9
        for kind, flops in counter.by_kind.items()
    }


def profile(settings: dict) -> str:
    """The whole report for ``config`` on a ``frames``-frame video, on
    ``settings['device']`` (default the CPU)."""
    from mmseqformer.apis import inference_vis, init_vis_model
    from mmseqformer.utils import find_config, tune_glibc_malloc
    from .pattern_video import PatternVideo
    device = settings.get('device') or 'cpu'
    if not settings.get('no_malloc_tuning'):
        tune_glibc_malloc()
    model = init_vis_model(find_config(settings['config']), device=device)
    frames, (height, width) = settings['frames'], settings['size']

    def run() -> None:
        inference_vis(
            model,
            PatternVideo(frames, height, width),
            chunk_size=settings['chunk_size'])

    run()  # warm-up: first-call costs (oneDNN primitives, allocator)
    totals = stage_seconds(model, run, device)
    lines = [
        f'{settings["config"]} on {device}, {frames} frames of '
        f'{width}x{height}, chunks of {settings["chunk_size"]}, '
        f'{torch.get_num_threads()} CPU threads: '
        f'{totals["total"] / frames:.3f} s/frame',
        stage_table(model, totals, frames), ''
    ]
    if device.startswith('cuda'):
        synchronize(device)
        start = time.perf_counter()
        events = profiled_operators(run, shapes=False, device=device)
        summary = launch_summary(events, frames, time.perf_counter() - start)
        lines += [
            f'Per frame: {summary["launches"]:.0f} kernel launches, '
            f'{summary["syncs"]:.1f} host waits for the device, '
            f'{summary["kernel_ms"]:.2f} ms of kernels; the GPU busy '
            f'{summary["busy"]:.0%} of the profiled run (launch-bound '
            'when low).', ''
        ]
    else:
        rate = matmul_gflops()
        events = profiled_operators(run, shapes=False)
        work = arithmetic_rows(events, counted_gflops(run, frames), frames,
                               rate)
        lines += [
            'Profiled self time by kind of work (the arithmetic counted as '
            'benchmark.py inference counts it):',
            arithmetic_table(work, rate), '',
            'Operators outside that arithmetic with at least 2% of the '
            'profiled time (same run):',
            other_operator_table(other_operators(events, frames)), ''
        ]
    lines.append(operator_table(run, frames, settings['ops'], device=device))
    return '\n'.join(lines)
