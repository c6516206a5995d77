"""Time and peak memory of SeqFormer inference on long videos.

    python tools/analysis_tools/benchmark_video_inference.py \
        --frames 10 100 1000 --modes streaming whole \
        [--official-root SEQFORMER_CHECKOUT] [--repeats 3]

Runs the R50 model (``configs/seqformer_r50.py``, random weights: speed and
memory do not depend on them) on 360p videos of each length, in these
modes:

- ``streaming``: :func:`inference_vis` with ``--chunk-size`` frames per chunk
  (bounded memory, the same result as the whole video), after
  :func:`tune_glibc_malloc` as the video demo does (``--no-malloc-tuning``
  to measure without);
- ``whole``: the whole video in one pass, as the official code does;
- ``official`` (added by ``--official-root``): the official code's
  ``inference.py`` work on the same frames (``benchmark_workloads.py``:
  one ``model.inference`` pass over the whole video, top 10 pairs, masks
  thresholded and RLE-encoded), with glibc's default allocator, as the
  official code runs.

The table ends with the official code's time over ours (one speed-up per
mode and length), the machine's float32 matrix-product rate measured just
before (GFLOP/s with the same threads) and the model's arithmetic per frame
(counted on a short streamed video by ``flop_count.ArithmeticCounter``:
its matrix products and convolutions, about 100 GFLOP per 360p frame for
R50). Arithmetic over rate is the floor no implementation gets under on
this machine; each of our modes is also given as a multiple of it. ``--repeats`` runs the whole
table that many times, interleaved, and reports medians (these machines
are noisy).

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

from benchmark_runs import (  # noqa: E402
    emit, last_error_line, matmul_gflops, median, run_child)
from pattern_frames import PatternFrames  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/seqformer_r50.py')
    parser.add_argument(
        '--frames', type=int, nargs='+', default=[10, 100, 1000])
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['streaming', 'whole'],
        choices=['streaming', 'whole', 'official'])
    parser.add_argument(
        '--official-root',
        help='official SeqFormer checkout: adds the official mode')
    parser.add_argument(
        '--official-python',
        default=sys.executable,
        help='Python of an environment with torch, torchvision, scipy and '
        'pycocotools for the official rows (default: this one)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=1,
        help='runs of every row, interleaved; medians are reported')
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
    args = parser.parse_args()
    if not osp.isfile(osp.join(REPO, args.config)):
        parser.error(f'--config: no such file: {args.config}')
    if args.official_root is not None:
        if not osp.isfile(
                osp.join(args.official_root, 'models', 'seqformer.py')):
            parser.error(
                f'--official-root: {args.official_root} is not an '
                'official SeqFormer checkout (no models/seqformer.py)')
        if 'official' not in args.modes:
            args.modes.append('official')
    elif 'official' in args.modes:
        parser.error('--modes official needs --official-root')
    return args


def child(args: argparse.Namespace) -> None:
    """One measurement; prints a JSON line."""
    import torch
    mode, num_frames = args.child.split(':')
    num_frames = int(num_frames)
    if mode == 'flops':
        emit(dict(mode=mode, gflops_per_frame=our_gflops_per_frame(args)))
        return
    if mode == 'official':
        from benchmark_workloads import (build_official_inference_model,
                                         official_video_inference)
        run = torch.no_grad()(
            official_video_inference(
                build_official_inference_model(args.official_root, 'cpu'),
                'cpu'))
        video = PatternFrames(num_frames, *args.size)
    else:
        from pattern_video import PatternVideo

        from mmseqformer.apis import inference_vis, init_vis_model
        from mmseqformer.utils import tune_glibc_malloc
        if not args.no_malloc_tuning:
            tune_glibc_malloc()
        model = init_vis_model(osp.join(REPO, args.config))

        def run(video):
            return inference_vis(
                model,
                video,
                chunk_size=args.chunk_size if mode == 'streaming' else None)

        video = PatternVideo(num_frames, *args.size)
    base_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    result = run(video)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if mode != 'official':
        assert len(result) == num_frames
    emit(
        dict(
            mode=mode,
            frames=num_frames,
            s_per_frame=seconds / num_frames,
            peak_gb=peak_gb,
            model_gb=base_gb,
            threads=torch.get_num_threads()))


def our_gflops_per_frame(args: argparse.Namespace, frames: int = 4) -> float:
    """Our model's matrix-product and convolution GFLOP per frame, counted
    on a streamed ``frames``-frame video after a one-frame warm-up."""
    from flop_count import ArithmeticCounter
    from pattern_video import PatternVideo

    from mmseqformer.apis import inference_vis, init_vis_model
    model = init_vis_model(osp.join(REPO, args.config))
    inference_vis(model, PatternVideo(1, *args.size))
    with ArithmeticCounter() as counter:
        inference_vis(
            model,
            PatternVideo(frames, *args.size),
            chunk_size=args.chunk_size)
    return counter.total / frames / 1e9


def floor_lines(rows: list, gflops: float, rate: float) -> list:
    """The arithmetic floor at ``rate`` and each of our modes over it."""
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


def measure(args: argparse.Namespace, mode: str, num_frames: int) -> dict:
    python = args.official_python if mode == 'official' else sys.executable
    command = [
        python, __file__, '--child', f'{mode}:{num_frames}', '--config',
        args.config, '--chunk-size',
        str(args.chunk_size), '--size', *map(str, args.size)
    ] + (['--no-malloc-tuning'] if args.no_malloc_tuning else []) + (
        ['--official-root', args.official_root] if args.official_root else [])
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


def measure_all(args: argparse.Namespace) -> list:
    """Every (length, mode) row, ``--repeats`` times interleaved; a row's
    time and memory are the medians of its runs."""
    runs = {}
    for _ in range(args.repeats):
        done = []
        for num_frames in args.frames:
            for mode in args.modes:
                projection = projected_gb(done, mode, num_frames)
                if mode != 'streaming' and projection > args.max_gb:
                    row = dict(
                        mode=mode, frames=num_frames, skipped=projection)
                else:
                    row = measure(args, mode, num_frames)
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


def table(rows: list, args: argparse.Namespace) -> str:
    lines = [
        '| mode | frames | s / frame | peak memory (GB) | model alone (GB) |' +
        (' runs (s / frame) |' if args.repeats > 1 else ''),
        '| --- | --- | --- | --- | --- |' +
        (' --- |' if args.repeats > 1 else '')
    ]
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
        if args.repeats > 1:
            cells.append(' '.join(map(str, row.get('runs', []))))
        lines.append(f'| {mode} | {num_frames} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def speedups(rows: list) -> list:
    """The official code's s / frame over ours, per length and mode."""
    timed = {
        (row['frames'], row['mode']): row['s_per_frame']
        for row in rows if 's_per_frame' in row
    }
    lines = []
    for (num_frames, mode), seconds in timed.items():
        official = timed.get((num_frames, 'official'))
        if mode != 'official' and official is not None:
            lines.append(f'official / {mode}, {num_frames} frames: '
                         f'{official / seconds:.2f}x')
    return lines


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    import torch
    rate = matmul_gflops()
    rows = measure_all(args)
    print(table(rows, args))
    for line in speedups(rows):
        print(line)
    print(f'float32 matrix products: {rate:.0f} GFLOP/s '
          f'({torch.get_num_threads()} threads)')
    counted = measure(args, 'flops', 0)
    if 'gflops_per_frame' in counted:
        for line in floor_lines(rows, counted['gflops_per_frame'], rate):
            print(line)
    else:
        print(f'arithmetic not counted: {last_error_line(counted["error"])}')


if __name__ == '__main__':
    main()
