"""One training step of ours and of the official code, side by side, from
the same weights on the same batch: the measurements behind
``tools/analysis_tools/benchmark.py training``.

Both codes train the R50 SeqFormer of the official recipe (ResNet-50, box
refinement, 300 queries, the official 42 class rows) on one batch of 2
clips x 5 frames (3 drifting instances per clip) with
:mod:`.training_step` (the official step is its ``engine.py``'s, ours
``model(..., mode='loss')``).

The official code starts from its own random initialisation and saves it;
ours loads the same weights through :func:`official_to_mmseqformer`.
Dropout is off in both (:func:`~.training_step.dropout_off_`), so the first
step's losses are the same function of the same numbers and are compared
term by term (official names mapped to ours). Each code runs in its own
child process (the official one in ``official_python``): a first step
whose losses are reported, then ``steps`` timed steps; the peak memory
(:class:`~.memory.PeakMemory`) is over the timed steps.
"""
import os.path as osp
import sys
import tempfile

import torch

from .child_process import child_command, emit, last_error_line, run_child
from .markdown import markdown_table
from .memory import PeakMemory
from .timing import median, synchronize, timed_repeats
from .training_step import TRAIN_CLIPS, TRAIN_FRAMES, dropout_off_

#: The official head's class rows (YouTube-VIS 2019's 40 labels are drawn).
OFFICIAL_CLASSES, LABELS = 42, 40
#: In this order: the official child saves the weights ours loads.
CODES = ('official', 'ours')


def official_step(settings: dict, clips: list):
    from .official_workloads import (build_official_training_model,
                                     official_training_step)
    torch.manual_seed(0)
    model, criterion = build_official_training_model(settings['official_root'],
                                                     settings['device'],
                                                     TRAIN_FRAMES)
    torch.save({'model': model.state_dict()},
               osp.join(settings['workdir'], 'official.pth'))
    dropout_off_(model)
    return official_training_step(model, criterion, settings['official_root'],
                                  clips, settings['device'], False)


def our_step(settings: dict, clips: list):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseqformer.models.utils import (check_state_dict_fits,
                                          official_to_mmseqformer)
    from mmseqformer.utils import find_config
    from .workloads import our_training_step
    cfg = Config.fromfile(find_config(settings['config']))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    cfg.model.backbone.init_cfg = None
    cfg.model.track_head.num_classes = OFFICIAL_CLASSES
    model = MODELS.build(cfg.model)
    official = torch.load(
        osp.join(settings['workdir'], 'official.pth'),
        weights_only=True)['model']
    state, _ = official_to_mmseqformer(
        official, class_rows=tuple(range(OFFICIAL_CLASSES)))
    check_state_dict_fits(state, model.state_dict())
    model.load_state_dict(state, strict=True)
    model = model.to(settings['device']).train()
    dropout_off_(model)
    return our_training_step(model, clips, settings['device'], False)


def child(settings: dict) -> None:
    """Build one code's step, run it ``1 + steps`` times; emit a row."""
    device = settings['device']
    clips = torch.load(
        osp.join(settings['workdir'], 'clips.pth'), weights_only=False)
    build = official_step if settings['code'] == 'official' else our_step
    step = build(settings, clips)
    losses = {k: float(v) for k, v in step().items()}
    memory = PeakMemory(device)
    synchronize(device)
    memory.reset()
    seconds = timed_repeats(step, device, settings['steps'])
    emit(
        dict(
            code=settings['code'],
            seconds=seconds,
            peak_gb=memory.peak_gb(),
            losses=losses,
            threads=torch.get_num_threads()))


def run_code(settings: dict, code: str) -> dict:
    official = code == 'official'
    command = child_command(
        settings['official_python'] if official else sys.executable,
        'mmseqformer.benchmark.training_parity:child',
        dict(settings, code=code),
        standalone=official)
    rows, error = run_child(command)
    if error or not rows:
        raise RuntimeError(f'{code}: {last_error_line(error or "no result")}')
    return rows[-1]


def measure_both(settings: dict) -> dict:
    """Both codes' rows, each the medians over ``repeats`` alternating
    runs: ``seconds`` (per step), ``peak_gb``, ``runs`` (median seconds
    of each run), the first run's ``losses`` and ``threads``."""
    from .training_step import synthetic_clips
    height, width = settings['size']
    runs = {code: [] for code in CODES}
    with tempfile.TemporaryDirectory() as workdir:
        settings = dict(settings, workdir=workdir)
        torch.save(
            synthetic_clips(TRAIN_CLIPS, TRAIN_FRAMES, height, width, LABELS),
            osp.join(workdir, 'clips.pth'))
        for _ in range(settings['repeats']):
            for code in CODES:
                runs[code].append(run_code(settings, code))
    return {
        code: dict(
            seconds=median([s for run in code_runs for s in run['seconds']]),
            peak_gb=median([run['peak_gb'] for run in code_runs]),
            runs=[round(median(run['seconds']), 2) for run in code_runs],
            losses=code_runs[0]['losses'],
            threads=code_runs[0]['threads'])
        for code, code_runs in runs.items()
    }


def loss_differences(official: dict, ours: dict) -> dict:
    """Per loss term (our name): the relative difference of ours from the
    official value."""
    from mmseqformer.models.utils.official_keys import official_loss_to_ours
    mapped = {official_loss_to_ours(k): v for k, v in official.items()}
    if set(mapped) != set(ours):
        raise AssertionError('the codes return different loss terms: '
                             f'{sorted(set(mapped) ^ set(ours))}')
    return {
        name: abs(ours[name] - value) / max(abs(value), 1e-12)
        for name, value in mapped.items()
    }


def report(settings: dict, rows: dict) -> str:
    """The conditions, the table and the speed-up and loss agreement."""
    height, width = settings['size']
    differences = loss_differences(rows['official']['losses'],
                                   rows['ours']['losses'])
    lines = [
        f'{TRAIN_CLIPS} clips x {TRAIN_FRAMES} frames of {width}x{height}, '
        f'{settings["device"]}, {rows["ours"]["threads"]} threads, '
        f'{settings["steps"]} timed steps x {settings["repeats"]} runs per '
        'code',
        markdown_table([
            'code', 's / step', 'peak memory (GB)', 'first-step loss',
            'runs (median s / step)'
        ], [[
            code, f'{row["seconds"]:.2f}', f'{row["peak_gb"]:.2f}',
            f'{sum(row["losses"].values()):.6f}', ' '.join(
                map(str, row['runs']))
        ] for code, row in rows.items()])
    ]
    speedup = rows['official']['seconds'] / rows['ours']['seconds']
    worst = max(differences, key=differences.get)
    lines.append(f'speed-up: {speedup:.2f}x; loss terms: {len(differences)}, '
                 f'largest relative difference {differences[worst]:.1e} '
                 f'({worst})')
    return '\n'.join(lines)
