"""Time and peak memory of SeqFormer inference on long videos (CPU): the
measurements behind ``tools/analysis_tools/benchmark.py inference``.

Modes:

- ``streaming``: :func:`inference_vis` in chunks of ``chunk_size`` frames
  (bounded memory, the same result as the whole video), after
  :func:`tune_glibc_malloc` as the video demo does (unless
  ``no_malloc_tuning``);
- ``whole``: the whole video in one pass, as the official code does;
- ``official``: the official ``inference.py`` work on the same frames
  (:func:`~.official_workloads.official_video_inference`), with glibc's
  default allocator, as the official code runs.

Each run is a fresh process (:mod:`.child_process`), so its peak resident
memory (``ru_maxrss``, model and Python included) is its own; frames are
drawn on the fly (:class:`~.pattern_frames.PatternFrames`). A whole-video
run whose memory, extrapolated linearly from the shorter runs, would
exceed ``max_gb`` is skipped. The arithmetic per frame is counted by
:class:`~.flop_count.ArithmeticCounter` and set against the machine's
matrix-product rate (:func:`~.timing.matmul_gflops`): arithmetic over rate
is the floor no implementation gets under on this machine.
"""
import sys
import time
from typing import List

import torch

from .child_process import child_command, emit, last_error_line, run_one_row
from .markdown import markdown_table
from .memory import process_peak_rss_gb, projected_gb
from .pattern_frames import PatternFrames
from .timing import median

MODES = ('streaming', 'whole', 'official')
#: Frames of the streamed video whose arithmetic is counted.
FLOP_FRAMES = 4


def child(settings: dict) -> None:
    """One measurement (``settings['mode']`` on ``settings['frames']``
    frames, or ``mode='flops'``); emits one row."""
    mode, num_frames = settings['mode'], settings['frames']
    if mode == 'flops':
        emit(dict(mode=mode, gflops_per_frame=our_gflops_per_frame(settings)))
        return
    if mode == 'official':
        from .official_workloads import (build_official_inference_model,
                                         official_video_inference)
        run = torch.no_grad()(
            official_video_inference(
                build_official_inference_model(settings['official_root'],
                                               'cpu'), 'cpu'))
        video = PatternFrames(num_frames, *settings['size'])
    else:
        from mmseqformer.apis import inference_vis
        from mmseqformer.utils import tune_glibc_malloc
        from .pattern_video import PatternVideo
        if not settings['no_malloc_tuning']:
            tune_glibc_malloc()
        model = build_model(settings)
        chunk_size = settings['chunk_size'] if mode == 'streaming' else None

        def run(video):
            return inference_vis(model, video, chunk_size=chunk_size)

        video = PatternVideo(num_frames, *settings['size'])
    base_gb = process_peak_rss_gb()
    start = time.perf_counter()
    result = run(video)
    seconds = time.perf_counter() - start
    if mode != 'official':
        assert len(result) == num_frames
    emit(
        dict(
            mode=mode,
            frames=num_frames,
            s_per_frame=seconds / num_frames,
            peak_gb=process_peak_rss_gb(),
            model_gb=base_gb,
            threads=torch.get_num_threads()))


def build_model(settings: dict):
    from mmseqformer.apis import init_vis_model
    from mmseqformer.utils import find_config
    return init_vis_model(find_config(settings['config']))


def our_gflops_per_frame(settings: dict) -> float:
    """Our model's matrix-product and convolution GFLOP per frame, counted
    on a streamed :data:`FLOP_FRAMES`-frame video after a one-frame
    warm-up."""
    from mmseqformer.apis import inference_vis
    from .flop_count import ArithmeticCounter
    from .pattern_video import PatternVideo
    model = build_model(settings)
    inference_vis(model, PatternVideo(1, *settings['size']))
    with ArithmeticCounter() as counter:
        inference_vis(
            model,
            PatternVideo(FLOP_FRAMES, *settings['size']),
            chunk_size=settings['chunk_size'])
    return counter.total / FLOP_FRAMES / 1e9


def measure(settings: dict, mode: str, num_frames: int) -> dict:
    """One row from a fresh process (the official code's in
    ``official_python``)."""
    official = mode == 'official'
    command = child_command(
        settings['official_python'] if official else sys.executable,
        'mmseqformer.benchmark.video_inference:child',
        dict(settings, mode=mode, frames=num_frames),
        standalone=official)
    return run_one_row(command, mode=mode, frames=num_frames)


def measure_all(settings: dict) -> List[dict]:
    """Every (length, mode) row, ``repeats`` times interleaved; a row's
    time and memory are the medians of its runs."""
    runs = {}
    for _ in range(settings['repeats']):
        done = []
        for num_frames in settings['frames']:
            for mode in settings['modes']:
                points = [(r['frames'], r['peak_gb']) for r in done
                          if r['mode'] == mode and 'peak_gb' in r]
                projection = projected_gb(points, num_frames)
                if mode != 'streaming' and projection > settings['max_gb']:
                    row = dict(
                        mode=mode, frames=num_frames, skipped=projection)
                else:
                    row = measure(settings, mode, num_frames)
                done.append(row)
                runs.setdefault((num_frames, mode), []).append(row)
    rows = []
    for (num_frames, mode), repeats in runs.items():
        timed = [row for row in repeats if 's_per_frame' in row]
        if not timed:
            rows.append(repeats[-1])
            continue
        rows.append(
            dict(
                timed[-1],
                s_per_frame=median([row['s_per_frame'] for row in timed]),
                peak_gb=median([row['peak_gb'] for row in timed]),
                runs=[round(row['s_per_frame'], 3) for row in timed]))
    return rows


def table(rows: List[dict], repeats: int) -> str:
    """The markdown table (a ``runs`` column when ``repeats > 1``)."""
    header = [
        'mode', 'frames', 's / frame', 'peak memory (GB)', 'model alone (GB)'
    ] + (['runs (s / frame)'] if repeats > 1 else [])
    lines = []
    for row in rows:
        mode, num_frames = row['mode'], row['frames']
        if 'skipped' in row:
            cells = ['skipped', f'~{row["skipped"]:.1f} projected', '']
        elif 'error' in row:
            cells = [f'failed: {last_error_line(row["error"])}', '', '']
        else:
            cells = [
                f'{row["s_per_frame"]:.2f}', f'{row["peak_gb"]:.2f}',
                f'{row["model_gb"]:.2f}'
            ]
        if repeats > 1:
            cells.append(' '.join(map(str, row.get('runs', []))))
        lines.append([mode, str(num_frames)] + cells)
    return markdown_table(header, lines)


def speedups(rows: List[dict]) -> List[str]:
    """The official code's s / frame over ours, per length and mode."""
    timed = {(row['frames'], row['mode']): row['s_per_frame']
             for row in rows if 's_per_frame' in row}
    lines = []
    for (num_frames, mode), seconds in timed.items():
        official = timed.get((num_frames, 'official'))
        if mode != 'official' and official is not None:
            lines.append(f'official / {mode}, {num_frames} frames: '
                         f'{official / seconds:.2f}x')
    return lines


def floor_lines(rows: List[dict], gflops: float, rate: float) -> List[str]:
    """The arithmetic floor at ``rate`` (GFLOP/s) of ``gflops`` per frame,
    and each of our modes over it."""
    floor = gflops / rate
    lines = [
        f'arithmetic: {gflops:.1f} GFLOP per frame; at this rate the floor '
        f'is {floor:.2f} s per frame'
    ]
    for row in rows:
        if 's_per_frame' in row and row['mode'] != 'official':
            lines.append(f'{row["mode"]}, {row["frames"]} frames: '
                         f'{row["s_per_frame"] / floor:.2f}x the floor')
    return lines


def arithmetic_lines(settings: dict, rows: List[dict], rate: float) -> list:
    """:func:`floor_lines` from a fresh process's count, or why not."""
    counted = measure(settings, 'flops', 0)
    if 'gflops_per_frame' in counted:
        return floor_lines(rows, counted['gflops_per_frame'], rate)
    return [f'arithmetic not counted: {last_error_line(counted["error"])}']
