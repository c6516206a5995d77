"""Speed and memory of SeqFormer on one GPU (or the CPU): the measurements
behind ``tools/analysis_tools/benchmark.py gpu``.

Rows (random weights: speed and memory do not depend on them):

- inference FPS on videos of each length, from BGR frames in to
  RLE-encoded masks out, in the modes of :data:`~.workloads.OUR_MODES`;
- training iterations per second at the official batch
  (:mod:`.training_step`);
- each in float32 and with AMP (``torch.autocast``);
- for the official code (``official_root``) the same (inference: the whole
  video, as its ``inference.py``); for mmdet's Mask2Former-VIS peer
  (``peer``) the inference rows.

Timing: a warm-up, then the median of up to ``repeats`` videos (stopping
once a row took ``max_seconds``) or of ``train_iters`` steps, the GPU
synchronised around each (:mod:`.timing`); peak memory over the timed part
(:class:`~.memory.PeakMemory`). Each code runs in its own child process
(:mod:`.child_process`; the official one in the Python of
``official_python``); a whole-video row whose memory, extrapolated from the
shorter videos, would not fit is skipped. The table is made by
:mod:`.gpu_report`.

This module imports no more than torch at the top: the official code's
child runs it in an environment without the OpenMMLab packages.
"""
import gc
import logging
import os.path as osp
import sys
import tempfile
from typing import List, Optional, Tuple

import torch

from .child_process import child_command, emit, last_error_line, run_child
from .machine import machine_info
from .memory import PeakMemory, projected_gb
from .pattern_frames import PatternFrames
from .timing import median, synchronize, timed_repeats
from .training_step import TRAIN_CLIPS, TRAIN_FRAMES, autocast, total_loss

#: Settings of the full benchmark: R50 at 360p; the official batch at the
#: official training size (scale 416 for a 1280x720 video, padded to 32);
#: the peer users would otherwise run, mmdet's Mask2Former-VIS R50.
FULL = dict(
    config='configs/seqformer_r50.py',
    peer_config='mmdet::mask2former_vis/'
    'mask2former_r50_8xb2-8e_youtubevis2019.py',
    frames=[5, 36, 100, 1000],
    size=[360, 640],
    train_size=[416, 739],
    repeats=3,
    max_seconds=30.0,
    train_iters=10,
    warmup_iters=3,
    warmup_frames=36)
#: The CI-sized run (``--smoke``): tiny models, tiny frames, one timed run.
SMOKE = dict(
    config='configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py',
    peer_config=('configs/baselines/'
                 'mask2former_r18-tiny_1xb2-1200it_synthetic.py'),
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
#: YouTube-VIS 2019's 40 classes: the labels of the official code's batch
#: (its head has 42 rows).
OFFICIAL_BATCH_CLASSES = 40
#: The codes, in the order of the table.
CODES = ('ours', 'official', 'mask2former')


def device_type(device: str) -> str:
    return device.split(':')[0]


def default_settings(device: str, smoke: bool) -> dict:
    """:data:`FULL` or :data:`SMOKE` with the chunk size of ``device``."""
    settings = dict(FULL, chunk_size=CHUNK_SIZE[device_type(device)])
    if smoke:
        settings.update(SMOKE)
    return settings


def planned_runs(settings: dict, code: str) -> List[dict]:
    """The rows one code measures, in order (shorter videos first, so
    that whole-video memory can be projected from them).

    Args:
        settings (dict): ``modes``, ``tasks``, ``frames`` and
            ``precisions`` of the benchmark.
        code (str): One of :data:`CODES`.
    """
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
    """The models of one code, built when first needed (in the child)."""

    def __init__(self, settings: dict, code: str) -> None:
        self.settings, self.code = settings, code
        self.device = settings['device']
        self.inference_model = None
        self.training = None

    def inference(self, mode: str, amp: bool):
        """A function ``video -> result`` of this code in ``mode``."""
        if self.code == 'official':
            from . import official_workloads as work
            if self.inference_model is None:
                self.inference_model = work.build_official_inference_model(
                    self.settings['official_root'], self.device)
            return torch.no_grad()(
                work.official_video_inference(self.inference_model,
                                              self.device))
        from . import workloads as work
        if self.code == 'mask2former':
            if self.inference_model is None:
                self.inference_model = work.build_peer_inference_model(
                    self.config('peer_config'), self.device)
            return torch.no_grad()(
                work.peer_video_inference(self.inference_model))
        if self.inference_model is None:
            self.inference_model = work.build_our_inference_model(
                self.config('config'), self.device)
        return work.our_video_inference(self.inference_model, mode,
                                        self.settings['chunk_size'], amp)

    def training_step(self, amp: bool):
        """A function that runs one training step of this code."""
        if self.inference_model is not None:
            self.inference_model = None  # free its memory for training
            release_memory()
        if self.code == 'official':
            from . import official_workloads as work
            root = self.settings['official_root']
            if self.training is None:
                model, criterion = work.build_official_training_model(
                    root, self.device, TRAIN_FRAMES)
                # Made by the parent: this Python may lack mmseqformer.
                clips = torch.load(
                    self.settings['official_clips'], weights_only=False)
                self.training = (model, criterion, clips)
            model, criterion, clips = self.training
            return work.official_training_step(model, criterion, root, clips,
                                               self.device, amp)
        from . import workloads as work
        if self.training is None:
            model = work.build_our_training_model(
                self.config('config'), self.device)
            self.training = (model,
                             training_clips(self.settings,
                                            work.our_num_classes(model)))
        model, clips = self.training
        return work.our_training_step(model, clips, self.device, amp)

    def config(self, key: str) -> str:
        config = self.settings[key]
        if config.startswith('mmdet::'):
            return config
        from mmseqformer.utils import find_config
        return find_config(config)


def training_clips(settings: dict, num_classes: int) -> list:
    """The training batch at ``train_size`` (needs mmseqformer)."""
    from .training_step import synthetic_clips
    height, width = settings['train_size']
    return synthetic_clips(TRAIN_CLIPS, TRAIN_FRAMES, height, width,
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


def child(settings: dict) -> None:
    """Measure ``planned_runs(settings, code)[skip:]``; emit each row
    (after a first row of machine info)."""
    device, code = settings['device'], settings['code']
    if device_type(device) == 'cuda' and ':' in device:
        torch.cuda.set_device(device)
    emit(dict(kind='machine', **machine_info(device)))
    quiet_mmengine()
    under_test = CodeUnderTest(settings, code)
    memory = PeakMemory(device)
    done = []
    for run in planned_runs(settings, code)[settings['skip']:]:
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
    if under_test.code == 'official':
        # numpy frames: the official code's Python may lack mmseqformer.
        video_class = PatternFrames
    else:
        from .pattern_video import PatternVideo as video_class
    device, frames = settings['device'], run['frames']
    if run['mode'] == 'whole':
        projection = projected_whole_video_gb(done, run)
        limit = memory_limit_gb(settings)
        if projection > limit:
            return dict(
                run, skipped=f'~{projection:.0f} GB projected (> {limit:.0f})')
    amp = run['precision'] == 'amp'
    infer = under_test.inference(run['mode'], amp)
    height, width = settings['size']
    video = video_class(frames, height, width)
    warmup = video_class(min(frames, settings['warmup_frames']), height, width)
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
    device = settings['device']
    step = under_test.training_step(run['precision'] == 'amp')
    for _ in range(settings['warmup_iters']):
        step()
    synchronize(device)
    memory.reset()
    last = []  # the last step's losses

    def timed_step() -> None:
        last[:] = [step()]

    seconds = timed_repeats(timed_step, device, settings['train_iters'])
    loss = total_loss(last[0])
    if loss != loss or abs(loss) == float('inf'):
        raise FloatingPointError(f'the training loss is {loss}')
    return dict(
        run,
        it_per_s=1 / median(seconds),
        seconds=seconds,
        peak_gb=memory.peak_gb(),
        loss=loss)


def projected_whole_video_gb(done: list, run: dict) -> float:
    """Peak memory of a whole-video run, extrapolated linearly from the
    last two measured runs of the same code, mode and precision."""
    points = [
        (row['frames'], row['peak_gb']) for row in done
        if row.get('peak_gb') is not None and row['task'] == 'inference'
        and row['mode'] == run['mode'] and row['precision'] == run['precision']
    ]
    return projected_gb(points, run['frames'])


def memory_limit_gb(settings: dict) -> float:
    device = settings['device']
    if device_type(device) == 'cuda':
        total = torch.cuda.get_device_properties(device).total_memory
        return GPU_MEMORY_SHARE * total / 2**30
    return settings['max_gb']


# --- the parent: children, rows ---------------------------------------------


def measure_code(settings: dict, code: str) -> Tuple[Optional[dict], list]:
    """All rows of one code, from as many children as crashes need (a
    crashed run is recorded as failed and the next child goes on after
    it). Returns (machine info, rows)."""
    from .gpu_report import summary
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

    official = code == 'official'
    python = settings['official_python'] if official else sys.executable
    while len(rows) < len(runs):
        command = child_command(
            python,
            'mmseqformer.benchmark.gpu_benchmark:child',
            dict(settings, code=code, skip=len(rows)),
            standalone=official)
        _, error = run_child(
            command, timeout=settings['timeout'], on_row=collect)
        if len(rows) < len(runs) and error:
            rows.append(dict(runs[len(rows)], error=last_error_line(error)))
            print(f'  {summary(rows[-1])}', file=sys.stderr, flush=True)
        elif len(rows) < len(runs):
            raise RuntimeError(f'{code}: the child stopped early: {error}')
    return machine, rows


def measure_all(settings: dict) -> Tuple[dict, list]:
    """Every code's rows (ours; the official code's with
    ``official_root``; the peer's with ``peer``) and the machine info."""
    machine, rows = measure_code(settings, 'ours')
    if settings['official_root']:
        with tempfile.TemporaryDirectory() as workdir:
            settings = dict(
                settings, official_clips=osp.join(workdir, 'clips.pth'))
            torch.save(
                training_clips(settings, OFFICIAL_BATCH_CLASSES),
                settings['official_clips'])
            rows += measure_code(settings, 'official')[1]
    if settings['peer']:
        rows += measure_code(settings, 'mask2former')[1]
    if machine is None:
        raise RuntimeError('no child reported its machine')
    machine = {k: v for k, v in machine.items() if k != 'kind'}
    return machine, rows
