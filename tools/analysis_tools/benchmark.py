"""Benchmarks of SeqFormer: speed, memory and accuracy of its modes.

Against the official code and the mmdet peer where they apply::

    python tools/analysis_tools/benchmark.py gpu [--device cpu --smoke]
    python tools/analysis_tools/benchmark.py inference --frames 10 100 1000
    python tools/analysis_tools/benchmark.py training \\
        --official-root SEQFORMER_CHECKOUT
    python tools/analysis_tools/benchmark.py modes CONFIG CHECKPOINT \\
        --ann ANN_FILE --img-root FRAMES [--modes offline online window:8]
    python tools/analysis_tools/benchmark.py mode-memory [--frames 200 2000]
    python tools/analysis_tools/benchmark.py onnx [--threads 2]
    python tools/analysis_tools/benchmark.py profile [--frames 8]
    python tools/analysis_tools/benchmark.py train-profile [--iters 20]

``python tools/analysis_tools/benchmark.py COMMAND --help`` lists each
command's options; docs/benchmarks.md shows their results. The
measurements are :mod:`mmseqformer.benchmark`'s.
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch
from mmengine.config import DictAction

from mmseqformer.benchmark.official_code import (add_official_arguments,
                                                 check_official_checkout)
from mmseqformer.evaluation import DEFAULT_SCORE_THR
from mmseqformer.utils import read_config, report_user_errors

TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'
R50_CONFIG = 'configs/seqformer_r50.py'
#: Frames of the video that ``gpu --profile`` profiles (at most).
PROFILE_FRAMES = 36


def fail(message: str) -> None:
    """A user's bad input: one line, exit status 1."""
    sys.exit(f'error: {message}')


def checked_config(config: str) -> str:
    """``config``, once it is found and reads (else a user error)."""
    read_config(config)
    return config


def checked_official_root(root):
    if root is not None:
        check_official_checkout(root)
    return root


def add_official(parser, required: bool = False, adds: str = '') -> None:
    add_official_arguments(parser, required, adds)


def add_size(parser, default, name='--size', what='frame size') -> None:
    parser.add_argument(
        name,
        type=int,
        nargs=2,
        default=default,
        metavar=('H', 'W'),
        help=what)


def add_malloc(parser) -> None:
    parser.add_argument(
        '--no-malloc-tuning',
        action='store_true',
        help='keep glibc malloc defaults (the video demo tunes them)')


# --- gpu


def gpu_parser(parser) -> None:
    """Speed and memory on one GPU (or the CPU), in one table: inference
    FPS of each mode and length, training it/s at the official batch, in
    float32 and AMP; with --official-root the official code's rows, with
    --peer mmdet's Mask2Former-VIS R50 inference rows."""
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='cuda, cuda:N or cpu (default: cuda if there is a GPU)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='CI-sized run: tiny config, tiny frames, one timed run each')
    parser.add_argument('--config', help='our model config')
    add_official(parser)
    parser.add_argument(
        '--peer',
        action='store_true',
        help="add mmdet's Mask2Former-VIS inference rows")
    parser.add_argument('--peer-config', help="the peer's mmdet config")
    parser.add_argument('--frames', type=int, nargs='+')
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['whole', 'streaming'],
        choices=['whole', 'streaming', 'online'],
        help='inference modes of our code (the official code has whole)')
    parser.add_argument(
        '--precisions',
        nargs='+',
        default=['fp32', 'amp'],
        choices=['fp32', 'amp'])
    parser.add_argument(
        '--tasks',
        nargs='+',
        default=['inference', 'training'],
        choices=['inference', 'training'])
    parser.add_argument('--chunk-size', type=int, help='streaming chunk')
    add_size(parser, None)
    add_size(parser, None, '--train-size', 'training frame size')
    for name, kind in (('--repeats', int), ('--max-seconds',
                                            float), ('--warmup-frames', int),
                       ('--train-iters', int), ('--warmup-iters', int)):
        parser.add_argument(name, type=kind)
    parser.add_argument(
        '--max-gb',
        type=float,
        default=20.0,
        help='CPU: skip whole-video runs projected above this memory')
    parser.add_argument(
        '--timeout',
        type=float,
        default=3600.0,
        help='seconds one code may take for all its rows')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='then profile our streaming inference of a video of up to 36 '
        'frames (benchmark.py profile on this device): stages, kernel '
        'launches, host waits, GPU busy time, costliest operators')
    parser.add_argument('--out', help='also write the table (.json / .md)')


def gpu(args) -> None:
    from mmseqformer.benchmark import gpu_benchmark, gpu_report
    settings = {
        k: v
        for k, v in vars(args).items() if k not in ('out', 'profile')
    }
    for key, value in gpu_benchmark.default_settings(args.device,
                                                     args.smoke).items():
        if settings[key] is None:
            settings[key] = value
    checked_config(settings['config'])
    checked_official_root(args.official_root)
    machine, rows = gpu_benchmark.measure_all(settings)
    text = gpu_report.markdown(settings, machine, rows)
    if args.profile:
        from mmseqformer.benchmark.profiling import profile as run_profile
        text += '\n\n' + run_profile(
            dict(
                config=settings['config'],
                frames=min(max(settings['frames']), PROFILE_FRAMES),
                size=settings['size'],
                chunk_size=settings['chunk_size'],
                ops=15,
                device=args.device,
                no_malloc_tuning=True))
    print(text)
    if args.out:
        gpu_report.write_report(args.out, settings, machine, rows, text)


# --- inference


def inference_parser(parser) -> None:
    """Time and peak memory of inference on long videos (CPU), streaming
    and whole-video, and the official code's with --official-root; then
    the official/ours speed-ups, the machine's matrix-product rate and the
    model's arithmetic per frame set against it."""
    parser.add_argument('--config', default=R50_CONFIG)
    parser.add_argument(
        '--frames', type=int, nargs='+', default=[10, 100, 1000])
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['streaming', 'whole'],
        choices=['streaming', 'whole', 'official'])
    add_official(parser, adds=': adds the official mode')
    parser.add_argument(
        '--repeats',
        type=int,
        default=1,
        help='runs of every row, interleaved; medians are reported')
    parser.add_argument('--chunk-size', type=int, default=4)
    add_malloc(parser)
    add_size(
        parser, [360, 640],
        what='frame size (the test pipeline keeps 360p as it is)')
    parser.add_argument(
        '--max-gb',
        type=float,
        default=20.0,
        help='skip whole-video runs projected above this peak memory')


def inference(args) -> None:
    from mmseqformer.benchmark import matmul_gflops, video_inference
    checked_config(args.config)
    if checked_official_root(args.official_root) is not None:
        if 'official' not in args.modes:
            args.modes.append('official')
    elif 'official' in args.modes:
        fail('--modes official needs --official-root')
    settings = vars(args)
    rate = matmul_gflops()
    rows = video_inference.measure_all(settings)
    print(video_inference.table(rows, args.repeats))
    for line in video_inference.speedups(rows):
        print(line)
    print(f'float32 matrix products: {rate:.0f} GFLOP/s '
          f'({torch.get_num_threads()} threads)')
    for line in video_inference.arithmetic_lines(settings, rows, rate):
        print(line)


# --- training


def training_parser(parser) -> None:
    """One training step of ours and of the official code, side by side,
    from the same weights on the same batch, with their losses compared
    term by term."""
    add_official(parser, required=True)
    parser.add_argument('--config', default=R50_CONFIG)
    add_size(parser, [180, 320])
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--device', default='cpu')


def training(args) -> None:
    from mmseqformer.benchmark import training_parity
    checked_official_root(args.official_root)
    checked_config(args.config)
    settings = vars(args)
    rows = training_parity.measure_both(settings)
    print(training_parity.report(settings, rows))


# --- modes


def modes_parser(parser) -> None:
    """The inference modes compared: on annotated sets (--ann/--img-root
    pairs) AP, AP50, HOTA, IDF1, ID switches, latency, speed and memory;
    on one --video without annotations, how far each mode is from
    offline. A mode is NAME[:VALUE...][:KEY=VALUE...]: window:8,
    clips:5:2, window:8:similarity_thr=0.3, offline:none."""
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument(
        '--ann',
        action='append',
        default=[],
        help='YouTube-VIS annotation file of a set (repeat for more sets)')
    parser.add_argument(
        '--img-root',
        action='append',
        default=[],
        help='frame folder of the matching --ann (file_names are relative '
        'to it)')
    parser.add_argument(
        '--video',
        help='one video (file or frame folder) without ground '
        'truth: compare every mode with offline')
    parser.add_argument(
        '--modes',
        nargs='+',
        default=[
            'offline', 'online', 'window:4', 'window:8', 'clips:3', 'clips:5'
        ],
        help='modes to run, e.g. offline online window:8 clips:5:1')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=DEFAULT_SCORE_THR,
        help='lowest score of a track counted by the identity metrics, and '
        'of an offline instance compared with --video')
    parser.add_argument(
        '--threads', type=int, help='torch threads of each run')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    add_malloc(parser)
    parser.add_argument('--work-dir', default='work_dirs/compare_modes')


def modes(args) -> None:
    from mmseqformer.benchmark import mode_comparison
    settings = vars(args)
    try:
        specs, datasets = mode_comparison.check_inputs(settings)
    except (ValueError, FileNotFoundError, ImportError) as error:
        fail(error)
    text, ok = mode_comparison.compare_modes(settings, specs, datasets)
    print(text)
    print(f'\nResults files and tables: {args.work_dir}')
    if not ok:
        fail('some modes failed (see the tables)')


# --- mode-memory


def mode_memory_parser(parser) -> None:
    """Peak memory of the online, window and clip modes against the
    video's length: it must not grow with the video. By default the tiny
    model at 96 x 128; --config configs/seqformer_r50.py --size 360 640
    measures R50 at 360p. Modes are written as for the modes command."""
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
    add_size(parser, [96, 128])
    parser.add_argument('--threads', type=int, help='torch threads per run')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    add_malloc(parser)
    parser.add_argument(
        '--timeout-min',
        type=float,
        help='stop a run that takes longer (it is reported as failed)')


def mode_memory(args) -> None:
    from mmseqformer.benchmark import mode_memory as benchmark
    checked_config(args.config)
    settings = vars(args)
    try:
        benchmark.check_causal(args.modes)
    except ValueError as error:
        fail(error)
    rows = benchmark.measure_all(settings)
    print(benchmark.table(settings, rows))
    print('\n' + benchmark.conditions(settings, rows))
    if any('error' in row for row in rows.values()):
        fail('some runs failed (see the table)')


# --- onnx


def onnx_parser(parser) -> None:
    """Seconds per frame on ONNX Runtime against PyTorch (CPU), and how far
    apart their outputs are. The model (random weights plus --noise unless
    --checkpoint) is exported to a temporary folder, or --model-dir."""
    parser.add_argument('--config', default=R50_CONFIG)
    parser.add_argument(
        '--checkpoint', help='weights (default: random plus --noise)')
    parser.add_argument(
        '--noise',
        type=float,
        default=0.02,
        help='std of the noise added to random weights')
    add_size(
        parser, [360, 640],
        what='frame size (the R50 test pipeline keeps 360p as it is)')
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--chunk-size', type=int, default=4)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, help='threads of both backends')
    parser.add_argument(
        '--parity-frames',
        type=int,
        default=2,
        help='frames of the parity check (0: skip it)')
    parser.add_argument(
        '--model-dir',
        help='exported model folder: used if it holds an export, else '
        'written (default: a temporary folder)')


def onnx(args) -> None:
    from mmseqformer.benchmark import onnx_speed
    from mmseqformer.utils import tune_glibc_malloc
    checked_config(args.config)
    if args.threads:
        torch.set_num_threads(args.threads)
    tune_glibc_malloc()  # as the demo does
    settings = vars(args)
    result = onnx_speed.compare_backends(settings)
    print(onnx_speed.report(settings, **result))


# --- profile


def profile_parser(parser) -> None:
    """Where the time of video inference goes: seconds per frame by stage
    of the network, by kind of work (convolutions, matrix products with
    their achieved GFLOP/s, everything else) against the arithmetic floor
    (CPU) or kernel launches, host waits and GPU busy time (CUDA), then
    the costliest operators."""
    parser.add_argument('--config', default=R50_CONFIG)
    parser.add_argument('--frames', type=int, default=8)
    add_size(parser, [360, 640])
    parser.add_argument('--chunk-size', type=int, default=4)
    parser.add_argument(
        '--ops', type=int, default=25, help='operators to list')
    parser.add_argument(
        '--device',
        default='cpu',
        help='cpu (default), cuda or cuda:N; on a GPU the report gives '
        'kernel launches, host waits and how busy the GPU was')
    add_malloc(parser)


def profile(args) -> None:
    from mmseqformer.benchmark.profiling import profile as run
    checked_config(args.config)
    print(run(vars(args)))


# --- train-profile


def train_profile_parser(parser) -> None:
    """Where the time of a training iteration goes, part by part. Median
    seconds per iteration of the data pipeline, data preprocessor,
    backbone+neck, encoder, decoder, mask head, matcher, losses, backward,
    gradient clipping and optimizer step (runner hooks not included), and
    with --ops the costliest operators."""
    parser.add_argument('--config', default=TINY_CONFIG)
    parser.add_argument('--iters', type=int, default=20, help='timed')
    parser.add_argument('--warmup', type=int, default=3, help='untimed')
    parser.add_argument('--threads', type=int, help='torch threads')
    parser.add_argument(
        '--data-root',
        help="the train dataset's data root (default: the config's)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_dataloader.batch_size=4')
    parser.add_argument(
        '--ops',
        type=int,
        default=0,
        help='also list the costliest operators of one more iteration')


def train_profile(args) -> None:
    from mmseqformer.benchmark import training_profile
    checked_config(args.config)
    if args.iters < 1 or args.warmup < 0:
        fail('--iters must be at least 1 and --warmup at least 0')
    if args.threads:
        torch.set_num_threads(args.threads)
    result = training_profile.profile_training(args.config, args.iters,
                                               args.warmup, args.cfg_options,
                                               args.data_root, args.ops)
    print(
        training_profile.report(args.config, args.iters, args.warmup, result))


COMMANDS = {
    'gpu': (gpu_parser, gpu),
    'inference': (inference_parser, inference),
    'training': (training_parser, training),
    'modes': (modes_parser, modes),
    'mode-memory': (mode_memory_parser, mode_memory),
    'onnx': (onnx_parser, onnx),
    'profile': (profile_parser, profile),
    'train-profile': (train_profile_parser, train_profile),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    commands = parser.add_subparsers(dest='command', required=True)
    for name, (add_arguments, _) in COMMANDS.items():
        summary = add_arguments.__doc__
        add_arguments(
            commands.add_parser(
                name,
                help=summary.split('.')[0].replace('\n', ' '),
                description=' '.join(summary.split())))
    return parser.parse_args(argv)


@report_user_errors()
def main(argv=None) -> None:
    args = parse_args(argv)
    command = args.command
    del args.command
    COMMANDS[command][1](args)


if __name__ == '__main__':
    main()
