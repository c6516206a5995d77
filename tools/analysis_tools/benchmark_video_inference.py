"""Time and peak memory of SeqFormer inference on long videos.

    python tools/analysis_tools/benchmark_video_inference.py \
        --frames 10 100 1000 --modes streaming whole

Runs the R50 model (``configs/seqformer_r50.py``, random weights: speed and
memory do not depend on them) on 360p videos of each length, in two modes:

- ``streaming``: :func:`inference_vis` with ``--chunk-size`` frames per chunk
  (bounded memory, the same result as the whole video), after
  :func:`tune_glibc_malloc` as the video demo does (``--no-malloc-tuning``
  to measure without);
- ``whole``: the whole video in one pass, as the official code does.

Each run is a fresh process, so its peak resident memory (``ru_maxrss``,
model and Python included) is its own. Frames are made on the fly (a
moving pattern on texture), so the video itself takes no memory. A whole-
video run whose memory, extrapolated linearly from the shorter runs, would
exceed ``--max-gb`` is skipped and its projection printed instead.
"""
import argparse
import os.path as osp
import resource
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# The shared benchmark modules beside this script (also under runpy).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_runs import emit, last_error_line, run_child  # noqa: E402
from pattern_video import PatternVideo  # noqa: E402

from mmseqformer.apis import inference_vis, init_vis_model  # noqa: E402
from mmseqformer.utils import tune_glibc_malloc  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/seqformer_r50.py')
    parser.add_argument(
        '--frames', type=int, nargs='+', default=[10, 100, 1000])
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['streaming', 'whole'],
        choices=['streaming', 'whole'])
    parser.add_argument('--chunk-size', type=int, default=4)
    parser.add_argument(
        '--no-malloc-tuning',
        action='store_true',
        help='keep glibc malloc defaults (the demo tunes them)')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[360, 640],
        metavar=('H', 'W'),
        help='frame size (the test pipeline keeps 360p as it is)')
    parser.add_argument(
        '--max-gb',
        type=float,
        default=20.0,
        help='skip whole-video runs projected above this peak memory')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    return parser.parse_args()


def child(args: argparse.Namespace) -> None:
    """One measurement; prints a JSON line."""
    import torch
    if not args.no_malloc_tuning:
        tune_glibc_malloc()
    mode, num_frames = args.child.split(':')
    num_frames = int(num_frames)
    model = init_vis_model(osp.join(REPO, args.config))
    video = PatternVideo(num_frames, *args.size)
    base_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    result = inference_vis(
        model,
        video,
        chunk_size=args.chunk_size if mode == 'streaming' else None)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    assert len(result) == num_frames
    emit(
        dict(
            mode=mode,
            frames=num_frames,
            s_per_frame=seconds / num_frames,
            peak_gb=peak_gb,
            model_gb=base_gb,
            threads=torch.get_num_threads()))


def measure(args: argparse.Namespace, mode: str, num_frames: int) -> dict:
    command = [
        sys.executable, __file__, '--child', f'{mode}:{num_frames}',
        '--config', args.config, '--chunk-size',
        str(args.chunk_size), '--size', *map(str, args.size)
    ] + (['--no-malloc-tuning'] if args.no_malloc_tuning else [])
    rows, error = run_child(command)
    if error or not rows:
        return dict(mode=mode, frames=num_frames, error=error or 'no result')
    return rows[-1]


def projected_gb(rows: list, mode: str, num_frames: int) -> float:
    """Linear fit of peak memory over the measured runs of ``mode``."""
    points = [(r['frames'], r['peak_gb']) for r in rows
              if r['mode'] == mode and 'peak_gb' in r]
    if len(points) < 2:
        return 0.0
    (f0, m0), (f1, m1) = points[-2:]
    return m1 + (m1 - m0) / (f1 - f0) * (num_frames - f1)


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    rows = []
    print(
        '| mode | frames | s / frame | peak memory (GB) | model alone (GB) |')
    print('| --- | --- | --- | --- | --- |')
    for num_frames in args.frames:
        for mode in args.modes:
            projection = projected_gb(rows, mode, num_frames)
            if mode == 'whole' and projection > args.max_gb:
                row = dict(mode=mode, frames=num_frames, skipped=projection)
                print(f'| {mode} | {num_frames} | skipped | '
                      f'~{projection:.1f} projected | |')
            else:
                row = measure(args, mode, num_frames)
                if 'error' in row:
                    print(f'| {mode} | {num_frames} | failed: '
                          f'{last_error_line(row["error"])} | | |')
                else:
                    print(f'| {mode} | {num_frames} | '
                          f'{row["s_per_frame"]:.2f} | {row["peak_gb"]:.2f} '
                          f'| {row["model_gb"]:.2f} |')
            sys.stdout.flush()
            rows.append(row)


if __name__ == '__main__':
    main()
