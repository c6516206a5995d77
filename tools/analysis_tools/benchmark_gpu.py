"""Speed and memory of SeqFormer on one GPU (or the CPU), in one table.

    bash tools/analysis_tools/benchmark_gpu.sh \\
        [--official-root SEQFORMER_CHECKOUT [--official-python PYTHON]] \\
        [--out results.json]
    python tools/analysis_tools/benchmark_gpu.py --device cpu --smoke

Rows (random weights: speed and memory do not depend on them):

- inference FPS on 360p videos (640x360, ``--size``) of ``--frames``
  frames, from BGR frames in to RLE-encoded masks out, in the modes
  ``whole`` (the whole video in one pass, as the official ``inference.py``)
  and ``streaming`` (:func:`inference_vis` in chunks of ``--chunk-size``
  frames: 36 on a GPU, 4 on the CPU); ``online`` when asked for;
- training iterations per second of ``--config`` (R50) at the official
  batch, 2 clips x 5 frames of ``--train-size`` (416x739: the official size
  rule at scale 416 for a 1280x720 video; padded to 32), with 3 instances
  per clip;
- each in float32 and with AMP (``torch.autocast``: float16 on CUDA,
  bfloat16 on the CPU);
- with ``--official-root``, the same for the official code
  (wjf5203/SeqFormer; ``official_seqformer.py`` imports it, patched in
  memory; on CUDA its deformable attention runs mmcv's copy of its own
  kernel). It needs torchvision and scipy, in this environment or in the
  one of ``--official-python`` (which needs neither mmseqformer nor the
  OpenMMLab packages: its child reads numpy frames and the training clips
  this process saved);
- with ``--peer``, the inference rows of the peer users would run instead:
  mmdet's Mask2Former-VIS R50 (``--peer-config``, random weights), the
  whole video in one ``predict`` as mmdet's ``tools/test.py`` runs it, from
  the same frames to RLE masks.

Timing: a warm-up (a video of up to ``--warmup-frames`` frames, or
``--warmup-iters`` training steps), then the median of up to ``--repeats``
videos (stopping once a row took ``--max-seconds``) or of
``--train-iters`` steps, the GPU synchronised around each. Peak memory is
the allocator's peak on CUDA (``torch.cuda.max_memory_allocated``: tensors,
model included) and the peak resident memory on the CPU, both over the
timed part. Each code runs in its own child process; a whole-video row
whose memory, extrapolated from the shorter videos, would not fit is
skipped. The table is printed and, with ``--out``, written as JSON
(``.json``) or markdown (``.md``).
"""
import argparse
import gc
import json
import logging
import os.path as osp
import sys
import tempfile
import time

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# The shared benchmark modules beside this script (also under runpy).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_workloads import (  # noqa: E402
    PEER_CONFIG, TRAIN_CLIPS, TRAIN_FRAMES)
from benchmark_runs import (  # noqa: E402
    PeakMemory, emit, last_error_line, machine_info, median, run_child,
    synchronize, timed_repeats)

#: The SeqFormer paper's inference speed for R50 on a V100-class GPU.
PAPER_FPS = 72.3
#: Defaults of the full benchmark and of the CI-sized ``--smoke`` run.
FULL = dict(
    config='configs/seqformer_r50.py',
    peer_config=PEER_CONFIG,
    frames=[5, 36, 100, 1000],
    size=[360, 640],
    train_size=[416, 739],
    repeats=3,
    max_seconds=30.0,
    train_iters=10,
    warmup_iters=3,
    warmup_frames=36)
SMOKE = dict(
    config='configs/seqformer/seqformer_r18-tiny_1xb2-4000it_synthetic.py',
    peer_config=
    'configs/baselines/mask2former_r18-tiny_1xb2-1200it_synthetic.py',
    frames=[2],
    size=[64, 96],
    train_size=[64, 64],
    repeats=1,
    max_seconds=0.0,
    train_iters=1,
    warmup_iters=0,
    warmup_frames=1,
    chunk_size=2)
#: Frames per streaming chunk by device (small chunks stay in CPU caches).
CHUNK_SIZE = dict(cuda=36, cpu=4)
#: Share of the GPU's memory a whole-video run may be projected to use.
GPU_MEMORY_SHARE = 0.9


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Defaults (full / --smoke): ' +
        ', '.join(f'{key} {FULL.get(key)} / {SMOKE[key]}' for key in SMOKE))
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='cuda, cuda:N or cpu (default: cuda if there is a GPU)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='CI-sized run: tiny config, tiny frames, one timed run each')
    parser.add_argument('--config', help='our model config')
    parser.add_argument('--official-root', help='official SeqFormer checkout')
    parser.add_argument(
        '--official-python',
        default=sys.executable,
        help='Python of an environment with torch, torchvision and scipy '
        'for the official code (default: this one)')
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
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--train-size', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--repeats', type=int)
    parser.add_argument('--max-seconds', type=float)
    parser.add_argument('--warmup-frames', type=int)
    parser.add_argument('--train-iters', type=int)
    parser.add_argument('--warmup-iters', type=int)
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
    parser.add_argument('--out', help='also write the table (.json / .md)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return args
    defaults = dict(FULL, chunk_size=CHUNK_SIZE[device_type(args.device)])
    if args.smoke:
        defaults.update(SMOKE)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not osp.isfile(osp.join(REPO, args.config)) and not osp.isfile(
            args.config):
        parser.error(f'--config: no such file: {args.config}')
    if args.official_root is not None and not osp.isfile(
            osp.join(args.official_root, 'models', 'seqformer.py')):
        parser.error(f'--official-root: {args.official_root} is not an '
                     'official SeqFormer checkout (no models/seqformer.py)')
    return args


def device_type(device: str) -> str:
    return device.split(':')[0]


def precision_name(precision: str, device: str) -> str:
    if precision == 'fp32':
        return 'fp32'
    return 'AMP fp16' if device_type(device) == 'cuda' else 'AMP bf16'


def planned_runs(settings: dict, code: str) -> list:
    """The rows one code measures, in order (shorter videos first, so
    that whole-video memory can be projected from them)."""
    modes = ['whole'] if code != 'ours' else settings['modes']
    runs = []
    if 'inference' in settings['tasks']:
        for frames in settings['frames']:
            for mode in modes:
                for precision in settings['precisions']:
                    runs.append(
                        dict(
                            code=code,
                            task='inference',
                            mode=mode,
                            frames=frames,
                            precision=precision))
    if 'training' in settings['tasks'] and code != 'mask2former':
        for precision in settings['precisions']:
            runs.append(
                dict(
                    code=code,
                    task='training',
                    mode='train step',
                    frames=TRAIN_CLIPS * TRAIN_FRAMES,
                    precision=precision))
    return runs


# --- the child: one code's measurements ---------------------------------


class CodeUnderTest:
    """The models of one code, built when first needed."""

    def __init__(self, settings: dict, code: str) -> None:
        self.settings, self.code = settings, code
        self.device = settings['device']
        self.inference_model = None
        self.training = None

    def inference(self, mode: str, amp: bool):
        import benchmark_workloads as work
        if self.inference_model is None:
            if self.code == 'ours':
                self.inference_model = work.build_our_inference_model(
                    self.config(), self.device)
            elif self.code == 'mask2former':
                self.inference_model = work.build_peer_inference_model(
                    self.config('peer_config'), self.device)
            else:
                self.inference_model = work.build_official_inference_model(
                    self.settings['official_root'], self.device)
        if self.code == 'ours':
            return work.our_video_inference(self.inference_model, mode,
                                            self.settings['chunk_size'], amp)
        if self.code == 'mask2former':
            run = work.peer_video_inference(self.inference_model)
        else:
            run = work.official_video_inference(self.inference_model,
                                                self.device)
        return torch.no_grad()(run)

    def training_step(self, amp: bool):
        import benchmark_workloads as work
        if self.inference_model is not None:
            self.inference_model = None  # free its memory for training
            release_memory()
        root = self.settings['official_root']
        if self.training is None:
            if self.code == 'ours':
                model = work.build_our_training_model(self.config(),
                                                      self.device)
                self.training = (model, None,
                                 training_clips(self.settings,
                                                work.our_num_classes(model)))
            else:
                model, criterion = work.build_official_training_model(
                    root, self.device, TRAIN_FRAMES)
                # Made by the parent: this Python may lack mmseqformer.
                self.training = (model, criterion,
                                 torch.load(
                                     self.settings['official_clips'],
                                     weights_only=False))
        model, criterion, clips = self.training
        if self.code == 'ours':
            return work.our_training_step(model, clips, self.device, amp)
        return work.official_training_step(model, criterion, root, clips,
                                           self.device, amp)

    def config(self, key: str = 'config') -> str:
        config = self.settings[key]
        if config.startswith('mmdet::') or osp.isfile(config):
            return config
        return osp.join(REPO, config)


def training_clips(settings: dict, num_classes: int) -> list:
    """The training batch at ``--train-size`` (needs mmseqformer)."""
    import benchmark_workloads as work
    height, width = settings['train_size']
    return work.synthetic_clips(TRAIN_CLIPS, TRAIN_FRAMES, height, width,
                                num_classes)


def quiet_mmengine() -> None:
    """No per-parameter initialisation log (thousands of lines); nothing
    to do in an environment without mmengine (the official code's)."""
    try:
        from mmengine.logging import MMLogger
    except ImportError:
        return
    MMLogger.get_current_instance().setLevel(logging.WARNING)


def release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def child(settings: dict, code: str, skip: int) -> None:
    """Measure ``planned_runs(settings, code)[skip:]``; emit each row."""
    device = settings['device']
    if device_type(device) == 'cuda' and ':' in device:
        torch.cuda.set_device(device)
    emit(dict(kind='machine', **machine_info(device)))
    quiet_mmengine()
    under_test = CodeUnderTest(settings, code)
    memory = PeakMemory(device)
    done = []
    for run in planned_runs(settings, code)[skip:]:
        try:
            if run['task'] == 'inference':
                row = measure_inference(under_test, run, settings, memory,
                                        done)
            else:
                row = measure_training(under_test, run, settings, memory)
        except Exception as error:  # noqa: B902 (the table shows it)
            row = dict(run, error=f'{type(error).__name__}: {error}'[:300])
            release_memory()
        row['memory_kind'] = memory.kind
        done.append(row)
        emit(row)


def measure_inference(under_test: CodeUnderTest, run: dict, settings: dict,
                      memory: PeakMemory, done: list) -> dict:
    from benchmark_workloads import autocast
    if under_test.code == 'official':
        # numpy frames: the official code's Python may lack mmseqformer.
        from pattern_frames import PatternFrames as PatternVideo
    else:
        from pattern_video import PatternVideo
    device, frames = settings['device'], run['frames']
    if run['mode'] == 'whole':
        projection = projected_gb(done, run)
        limit = memory_limit_gb(settings)
        if projection > limit:
            return dict(
                run, skipped=f'~{projection:.0f} GB projected (> {limit:.0f})')
    amp = run['precision'] == 'amp'
    infer = under_test.inference(run['mode'], amp)
    height, width = settings['size']
    video = PatternVideo(frames, height, width)
    warmup = PatternVideo(
        min(frames, settings['warmup_frames']), height, width)
    results = []
    # Ours: inference_vis(amp=True) autocasts the network only; the
    # official code and the peer run under autocast as a whole.
    with autocast(device, amp and under_test.code != 'ours'):
        infer(warmup)
        synchronize(device)
        memory.reset()
        seconds = timed_repeats(lambda: results.append(infer(video)), device,
                                settings['repeats'], settings['max_seconds'])
    if under_test.code == 'ours' and run['mode'] != 'online':
        assert len(results[-1]) == frames, 'a prediction per frame'
    return dict(
        run,
        fps=frames / median(seconds),
        seconds=seconds,
        peak_gb=memory.peak_gb(),
        entries=len(results[-1]) if under_test.code == 'official' else None)


def measure_training(under_test: CodeUnderTest, run: dict, settings: dict,
                     memory: PeakMemory) -> dict:
    from benchmark_workloads import total_loss
    device = settings['device']
    step = under_test.training_step(run['precision'] == 'amp')
    for _ in range(settings['warmup_iters']):
        step()
    synchronize(device)
    memory.reset()
    seconds, losses = [], None
    for _ in range(settings['train_iters']):
        start = time.perf_counter()
        losses = step()
        synchronize(device)
        seconds.append(time.perf_counter() - start)
    loss = total_loss(losses)
    if loss != loss or abs(loss) == float('inf'):
        raise FloatingPointError(f'the training loss is {loss}')
    return dict(
        run,
        it_per_s=1 / median(seconds),
        seconds=seconds,
        peak_gb=memory.peak_gb(),
        loss=loss)


def projected_gb(done: list, run: dict) -> float:
    """Peak memory of a whole-video run, extrapolated linearly from the
    last two measured runs of the same code, mode and precision."""
    points = [
        (row['frames'], row['peak_gb']) for row in done
        if row.get('peak_gb') is not None and row['task'] == 'inference'
        and row['mode'] == run['mode'] and row['precision'] == run['precision']
    ]
    if len(points) < 2:
        return 0.0
    (f0, m0), (f1, m1) = points[-2:]
    return m1 + (m1 - m0) / (f1 - f0) * (run['frames'] - f1)


def memory_limit_gb(settings: dict) -> float:
    device = settings['device']
    if device_type(device) == 'cuda':
        total = torch.cuda.get_device_properties(device).total_memory
        return GPU_MEMORY_SHARE * total / 2**30
    return settings['max_gb']


# --- the parent: children, table -------------------------------------------


def measure_code(settings: dict, code: str) -> tuple:
    """All rows of one code, from as many children as crashes need (a
    crashed run is recorded as failed and the next child goes on after
    it). Returns (machine info, rows)."""
    runs = planned_runs(settings, code)
    rows, machine = [], None
    print(f'{code}: {len(runs)} rows', file=sys.stderr, flush=True)

    def collect(row: dict) -> None:
        nonlocal machine
        if row.get('kind') == 'machine':
            machine = machine or row
        else:
            rows.append(row)
            print(f'  {summary(row)}', file=sys.stderr, flush=True)

    python = settings['official_python'] if code == 'official' else \
        sys.executable
    while len(rows) < len(runs):
        command = [
            python,
            osp.abspath(__file__), '--child',
            json.dumps(dict(settings, code=code, skip=len(rows)))
        ]
        _, error = run_child(
            command, timeout=settings['timeout'], on_row=collect)
        if len(rows) < len(runs) and error:
            rows.append(dict(runs[len(rows)], error=last_error_line(error)))
            print(f'  {summary(rows[-1])}', file=sys.stderr, flush=True)
        elif len(rows) < len(runs):
            raise RuntimeError(f'{code}: the child stopped early: {error}')
    return machine, rows


def summary(row: dict) -> str:
    what = (f'{row["code"]} {row["task"]} {row["mode"]} {row["frames"]} '
            f'{row["precision"]}')
    return f'{what}: {speed_cell(row)}'


def speed_cell(row: dict) -> str:
    if 'error' in row:
        return f'failed: {row["error"]}'
    if 'skipped' in row:
        return f'skipped: {row["skipped"]}'
    if row['task'] == 'inference':
        return f'{row["fps"]:.1f} FPS'
    return f'{row["it_per_s"]:.2f} it/s'


def markdown(settings: dict, machine: dict, rows: list) -> str:
    device = settings['device']
    height, width = settings['size']
    train_h, train_w = settings['train_size']
    cuda = device_type(device) == 'cuda'
    memory = 'peak GPU memory (GB)' if cuda else 'peak RSS (GB)'
    official = settings['official_root']
    official = f'`{official}`' if official else 'not run (--official-root)'
    amp = 'float16 (with loss scaling)' if cuda else 'bfloat16'
    counter = 'torch.cuda.max_memory_allocated' if cuda else 'VmHWM'
    lines = [
        f'## SeqFormer speed and memory ({machine["date"]})', '',
        f'- machine: {hardware(machine)}', f'- software: {software(machine)}',
        f'- model: `{settings["config"]}` (random weights); official code: '
        f'{official}; peer: ' +
        (f'`{settings["peer_config"]}` (random weights)'
         if settings['peer'] else 'not run (--peer)'),
        f'- inference: {width}x{height} frames, BGR in, RLE masks out; '
        f'streaming chunk {settings["chunk_size"]}; median of up to '
        f'{settings["repeats"]} videos after a warm-up on '
        f'{settings["warmup_frames"]} frames',
        f'- training: {TRAIN_CLIPS} clips x {TRAIN_FRAMES} frames of '
        f'{train_w}x{train_h}, 3 instances per clip, AdamW + gradient '
        f'clipping 0.1; median of {settings["train_iters"]} steps after '
        f'{settings["warmup_iters"]}',
        f'- AMP: torch.autocast {amp}; {memory}: {counter} over the timed '
        'part',
        f'- reference: the SeqFormer paper reports {PAPER_FPS} FPS for R50 '
        'on a V100-class GPU (compare with the whole-video rows; '
        'YouTube-VIS videos are up to a few dozen frames long)', '',
        f'| code | task | mode | frames | precision | FPS | it/s | {memory} '
        '| timed runs |', '| --- | --- | --- | --- | --- | --- | --- | --- '
        '| --- |'
    ]
    for row in rows:
        lines.append(table_row(row, settings))
    lines.append(f'| SeqFormer paper (R50, V100-class GPU) | inference | '
                 f'whole | YouTube-VIS | as reported | {PAPER_FPS} | | | |')
    return '\n'.join(lines) + '\n'


def table_row(row: dict, settings: dict) -> str:
    mode = row['mode']
    if mode == 'streaming':
        mode = f'streaming (chunk {settings["chunk_size"]})'
    elif row['task'] == 'training':
        mode = f'{TRAIN_CLIPS} clips x {TRAIN_FRAMES} frames'
    fps = it_per_s = peak = runs = ''
    if 'error' in row or 'skipped' in row:
        fps = speed_cell(row).replace('|', '/')
    else:
        if row['task'] == 'inference':
            fps = f'{row["fps"]:.1f}'
        else:
            it_per_s = f'{row["it_per_s"]:.2f}'
        peak, runs = f'{row["peak_gb"]:.2f}', str(len(row['seconds']))
    precision = precision_name(row['precision'], settings['device'])
    return (f'| {row["code"]} | {row["task"]} | {mode} | {row["frames"]} | '
            f'{precision} | {fps} | {it_per_s} | {peak} | {runs} |')


def hardware(machine: dict) -> str:
    cpu = f'CPU {machine["cpu"]} ({machine["cpu_threads"]} threads)'
    if 'gpu' in machine:
        return f'GPU {machine["gpu"]} ({machine["gpu_memory_gb"]} GB), {cpu}'
    return cpu


def software(machine: dict) -> str:
    parts = [f'torch {machine["torch"]}']
    if machine.get('cuda'):
        parts[0] += f' (CUDA {machine["cuda"]}, cuDNN {machine["cudnn"]})'
    parts += [
        f'{name} {machine[name]}' for name in ('mmcv', 'mmengine', 'mmdet')
    ]
    return ', '.join(parts) + f', Python {machine["python"]}'


def main() -> None:
    args = parse_args()
    if args.child:
        settings = json.loads(args.child)
        child(settings, settings['code'], settings['skip'])
        return
    settings = {
        key: value
        for key, value in vars(args).items() if key not in ('child', 'out')
    }
    machine, rows = measure_code(settings, 'ours')
    if args.official_root:
        with tempfile.TemporaryDirectory() as workdir:
            # YouTube-VIS 2019's 40 classes (the official head has 42).
            settings['official_clips'] = osp.join(workdir, 'clips.pth')
            torch.save(
                training_clips(settings, 40), settings['official_clips'])
            rows += measure_code(settings, 'official')[1]
    if args.peer:
        rows += measure_code(settings, 'mask2former')[1]
    if machine is None:
        raise RuntimeError('no child reported its machine')
    machine.pop('kind')
    text = markdown(settings, machine, rows)
    print(text)
    if args.out:
        with open(args.out, 'w') as file:
            if args.out.endswith('.md'):
                file.write(text)
            else:
                json.dump(
                    dict(
                        machine=machine,
                        settings=settings,
                        reference=dict(
                            paper_fps=PAPER_FPS,
                            what='SeqFormer paper, R50, V100-class GPU'),
                        rows=rows,
                        markdown=text),
                    file,
                    indent=1)


if __name__ == '__main__':
    main()
