"""Peak memory of the online, window and clip modes against the video's
length (``tools/analysis_tools/benchmark.py mode-memory``): it must not
grow with the video.

Each run is a fresh process (:mod:`.child_process`; glibc's malloc tuned
as the video demo tunes it, unless ``no_malloc_tuning``) that builds the
model (random weights: memory and speed do not depend on them) and
consumes :func:`mmseqformer.apis.stream_vis` frame by frame, keeping
nothing, on a lazily drawn video (:class:`~.pattern_video.PatternVideo`).
Its peak resident memory (``ru_maxrss``: model, Python and inference) is
its own. The table gives, per mode, the peak at each length, the growth
over the memory of the loaded model, and the ratio of the peak at the
longest video to the peak at the shortest (1.00: no growth).
"""
import sys
import time
from typing import Dict, List, Tuple

from .child_process import child_command, emit, last_error_line, run_one_row
from .markdown import markdown_table
from .memory import current_rss_gb, process_peak_rss_gb
from .mode_specs import parse_mode_spec


def check_causal(labels: List[str]) -> None:
    """Refuse the offline mode (ValueError): it keeps per-frame mask
    features and grows with the video by design."""
    for label in labels:
        if parse_mode_spec(label).mode == 'offline':
            raise ValueError(
                'offline keeps per-frame mask features and grows with the '
                'video by design; measure it with benchmark.py inference')


def child(settings: dict) -> None:
    """One run: consume ``stream_vis`` on a pattern video; one row."""
    import torch

    from mmseqformer.apis import init_vis_model, stream_vis
    from mmseqformer.utils import find_config, tune_glibc_malloc
    from .pattern_video import PatternVideo
    if not settings['no_malloc_tuning']:
        tune_glibc_malloc()  # as the video demo
    if settings['threads']:
        torch.set_num_threads(settings['threads'])
    label, num_frames = settings['mode'], settings['frames']
    spec = parse_mode_spec(label)
    device = settings['device']
    model = init_vis_model(find_config(settings['config']), device=device)
    model_gb = current_rss_gb()
    video = PatternVideo(num_frames, *settings['size'])
    decided = 0
    start = time.perf_counter()
    for _ in stream_vis(model, video, mode=spec.mode, **spec.options):
        decided += 1  # the prediction is dropped here
    seconds = time.perf_counter() - start
    if decided != num_frames:
        raise RuntimeError(f'{label}: {decided} of {num_frames} frames '
                           'decided')
    row = dict(
        mode=label,
        frames=num_frames,
        s_per_frame=seconds / num_frames,
        peak_gb=process_peak_rss_gb(),
        model_gb=model_gb,
        threads=torch.get_num_threads())
    if device.startswith('cuda'):
        row['peak_gpu_gb'] = torch.cuda.max_memory_allocated(device) / 2**30
    emit(row)


def measure_all(settings: dict) -> Dict[Tuple[str, int], dict]:
    """A row per (mode, length), each from a fresh process (stopped after
    ``timeout_min`` minutes when given)."""
    timeout = settings['timeout_min'] * 60 if settings['timeout_min'] else None
    rows = {}
    for num_frames in settings['frames']:
        for label in settings['modes']:
            print(
                f'{label} on {num_frames} frames ...',
                file=sys.stderr,
                flush=True)
            command = child_command(
                sys.executable, 'mmseqformer.benchmark.mode_memory:child',
                dict(settings, mode=label, frames=num_frames))
            rows[label, num_frames] = run_one_row(
                command, timeout=timeout, mode=label, frames=num_frames)
    return rows


def table(settings: dict, rows: Dict[Tuple[str, int], dict]) -> str:
    """One line per mode: peak and growth at each length, then the
    ratio of the longest video's peak to the shortest's."""
    gpu = settings['device'].startswith('cuda')
    frames = settings['frames']
    header = ['mode']
    for num_frames in frames:
        header += [
            f'peak RSS @{num_frames} (GB)', f'growth @{num_frames} (MB)',
            f's / frame @{num_frames}'
        ] + ([f'peak GPU @{num_frames} (GB)'] if gpu else [])
    header.append(f'peak ratio {frames[-1]} / {frames[0]}')
    lines = []
    for label in settings['modes']:
        cells = [label]
        for num_frames in frames:
            row = rows[label, num_frames]
            if 'error' in row:
                cells += [f'failed: {last_error_line(row["error"])}', '', ''
                          ] + ([''] if gpu else [])
                continue
            cells += [
                f'{row["peak_gb"]:.3f}',
                f'{1024 * (row["peak_gb"] - row["model_gb"]):.0f}',
                f'{row["s_per_frame"]:.4f}'
            ] + ([f'{row["peak_gpu_gb"]:.3f}'] if gpu else [])
        first, last = rows[label, frames[0]], rows[label, frames[-1]]
        cells.append('n/a' if 'error' in first or 'error' in last else
                     f'{last["peak_gb"] / first["peak_gb"]:.3f}')
        lines.append(cells)
    return markdown_table(header, lines)


def conditions(settings: dict, rows: Dict[Tuple[str, int], dict]) -> str:
    """The line under the table: model, frames, device, threads, malloc."""
    threads = next(
        (row['threads'] for row in rows.values() if 'threads' in row), 'n/a')
    height, width = settings['size']
    malloc = 'glibc defaults' if settings['no_malloc_tuning'] else 'tuned'
    return (f'`{settings["config"]}`, random weights, {height} x {width} '
            f'frames, device {settings["device"]}, torch threads {threads}, '
            f'malloc {malloc}. Growth: peak minus the memory of the loaded '
            'model.')
