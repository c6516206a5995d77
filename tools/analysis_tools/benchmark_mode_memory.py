"""Peak memory of the online, window and clip modes vs video length.

It must not grow with the video: the table compares short and long runs.

    python tools/analysis_tools/benchmark_mode_memory.py \\
        [--frames 200 2000] [--modes online window:8 clips:5] \\
        [--config CONFIG --size H W] [--threads N]

Each run is a fresh process (glibc's malloc tuned as the video demo tunes
it, unless ``--no-malloc-tuning``) that builds the model (random weights:
memory and speed do not depend on them) and consumes
:func:`mmseqformer.apis.stream_vis` frame by frame, keeping nothing, on a
lazily drawn video (``pattern_video.PatternVideo``: the video itself takes
no memory). Its peak resident memory (``ru_maxrss``: model, Python and
inference) is its own. The table gives, per mode, the peak at each length,
the growth over the memory of the loaded model, and the ratio of the peak
at the longest video to the peak at the shortest (1.00: no growth).

By default the tiny synthetic-set model at 96 x 128 (2000 frames of one mode
take a few minutes on a CPU core); ``--config configs/seqformer_r50.py
--size 360 640`` measures the R50 model at 360p. Modes are written as in
``compare_modes.py`` (``window:8``, ``clips:5:1``).
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
from compare_modes import parse_mode_spec  # noqa: E402
from pattern_video import PatternVideo  # noqa: E402

TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-4000it_synthetic.py'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=TINY_CONFIG)
    parser.add_argument(
        '--frames',
        type=int,
        nargs='+',
        default=[200, 2000],
        help='video lengths (the ratio compares the last with the first)')
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['online', 'window:8', 'clips:5'],
        help='causal modes, e.g. online window:8 clips:5:1')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[96, 128],
        metavar=('H', 'W'),
        help='frame size')
    parser.add_argument('--threads', type=int, help='torch threads per run')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--no-malloc-tuning',
        action='store_true',
        help='keep glibc malloc defaults (the video demo tunes them)')
    parser.add_argument(
        '--timeout-min',
        type=float,
        help='stop a run that takes longer (it is reported as failed)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def current_rss_gb() -> float:
    """Resident memory now (not the peak), from /proc/self/statm."""
    import os
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**30


def child(args: argparse.Namespace) -> None:
    """One run: consume ``stream_vis`` on a pattern video; one row."""
    import torch

    from mmseqformer.apis import init_vis_model, stream_vis
    from mmseqformer.utils import tune_glibc_malloc
    if not args.no_malloc_tuning:
        tune_glibc_malloc()  # as the video demo
    if args.threads:
        torch.set_num_threads(args.threads)
    label, num_frames = args.child.rsplit('@', 1)
    spec = parse_mode_spec(label)
    num_frames = int(num_frames)
    model = init_vis_model(osp.join(REPO, args.config), device=args.device)
    model_gb = current_rss_gb()
    video = PatternVideo(num_frames, *args.size)
    decided = 0
    start = time.perf_counter()
    for frame in stream_vis(model, video, mode=spec.mode, **spec.options):
        decided += 1  # the prediction is dropped here
    seconds = time.perf_counter() - start
    if decided != num_frames:
        raise RuntimeError(f'{label}: {decided} of {num_frames} frames '
                           'decided')
    row = dict(
        mode=label,
        frames=num_frames,
        s_per_frame=seconds / num_frames,
        peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        model_gb=model_gb,
        threads=torch.get_num_threads())
    if args.device.startswith('cuda'):
        row['peak_gpu_gb'] = torch.cuda.max_memory_allocated(
            args.device) / 2**30
    emit(row)


def measure(args: argparse.Namespace, label: str, num_frames: int) -> dict:
    command = [
        sys.executable,
        osp.abspath(__file__), '--child', f'{label}@{num_frames}', '--config',
        args.config, '--size', *map(str, args.size), '--device', args.device
    ] + (['--threads', str(args.threads)] if args.threads else
         []) + (['--no-malloc-tuning'] if args.no_malloc_tuning else [])
    timeout = args.timeout_min * 60 if args.timeout_min else None
    rows, error = run_child(command, timeout=timeout)
    if error or not rows:
        return dict(mode=label, frames=num_frames, error=error or 'no result')
    return rows[-1]


def table(args: argparse.Namespace, rows: dict) -> str:
    """One line per mode: peak and growth at each length, then the
    ratio of the longest video's peak to the shortest's."""
    gpu = args.device.startswith('cuda')
    header = ['mode']
    for num_frames in args.frames:
        header += [
            f'peak RSS @{num_frames} (GB)', f'growth @{num_frames} (MB)',
            f's / frame @{num_frames}'
        ] + ([f'peak GPU @{num_frames} (GB)'] if gpu else [])
    header.append(f'peak ratio {args.frames[-1]} / {args.frames[0]}')
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '| ' + ' | '.join(['---'] * len(header)) + ' |'
    ]
    for label in args.modes:
        cells = [label]
        for num_frames in args.frames:
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
        first, last = rows[label, args.frames[0]], rows[label, args.frames[-1]]
        cells.append('n/a' if 'error' in first or 'error' in last else
                     f'{last["peak_gb"] / first["peak_gb"]:.3f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        child(args)
        return
    try:
        for label in args.modes:
            if parse_mode_spec(label).mode == 'offline':
                raise ValueError('offline keeps per-frame mask features and '
                                 'grows with the video by design; measure '
                                 'it with benchmark_video_inference.py')
    except ValueError as error:
        sys.exit(f'error: {error}')
    rows = {}
    for num_frames in args.frames:
        for label in args.modes:
            print(
                f'{label} on {num_frames} frames ...',
                file=sys.stderr,
                flush=True)
            rows[label, num_frames] = measure(args, label, num_frames)
    threads = next(
        (row['threads'] for row in rows.values() if 'threads' in row), 'n/a')
    print(table(args, rows))
    print(f'\n`{args.config}`, random weights, {args.size[0]} x '
          f'{args.size[1]} frames, device {args.device}, torch threads '
          f'{threads}, malloc '
          f'{"glibc defaults" if args.no_malloc_tuning else "tuned"}. '
          'Growth: peak minus the memory of the loaded model.')
    if any('error' in row for row in rows.values()):
        sys.exit('error: some runs failed (see the table)')


if __name__ == '__main__':
    main()
