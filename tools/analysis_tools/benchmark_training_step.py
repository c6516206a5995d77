"""One training step of ours and of the official code, side by side, from
the same weights on the same batch, with their losses compared.

    python tools/analysis_tools/benchmark_training_step.py \\
        --official-root SEQFORMER_CHECKOUT [--official-python PYTHON] \\
        [--size 180 320] [--steps 3] [--repeats 3] [--device cpu]

Both codes train the R50 SeqFormer of the official recipe (ResNet-50, box
refinement, 300 queries, the official 42 class rows) on one batch of 2 clips
x 5 frames (``--size``, 3 drifting instances per clip,
``benchmark_workloads.synthetic_clips``): forward, losses, backward,
gradient clipping at 0.1 and AdamW, as ``benchmark_workloads`` runs them
(the official step is its ``engine.py``'s, ours ``model(..., mode='loss')``).

The official code starts from its own random initialisation and saves it;
ours loads the same weights through :func:`official_to_mmseqformer`. Dropout
is off in both (every ``nn.Dropout`` and ``nn.MultiheadAttention`` in eval
mode: the codes draw their dropout masks differently), so the first step's
losses are the same function of the same numbers and are compared term by
term (official names mapped to ours).

Each code runs in its own child process (the official one with
``--official-python``, an environment with torch, torchvision and scipy): a
first step whose losses are reported, then ``--steps`` timed steps; the
peak resident memory (or the GPU allocator's peak) is over the timed steps.
``--repeats`` runs both children that many times, alternating, and reports
medians (these machines are noisy).
"""
import argparse
import os.path as osp
import sys
import tempfile
import time

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# The shared benchmark modules beside this script (also under runpy).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_workloads import TRAIN_CLIPS, TRAIN_FRAMES  # noqa: E402
from benchmark_runs import (  # noqa: E402
    PeakMemory, emit, last_error_line, median, run_child, synchronize)

#: The official head's class rows (YouTube-VIS 2019's 40 labels are drawn).
OFFICIAL_CLASSES, LABELS = 42, 40
CODES = ('official', 'ours')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--official-root', required=True)
    parser.add_argument(
        '--official-python',
        default=sys.executable,
        help='Python of an environment with torch, torchvision and scipy '
        'for the official code (default: this one)')
    parser.add_argument('--config', default='configs/seqformer_r50.py')
    parser.add_argument(
        '--size', type=int, nargs=2, default=[180, 320], metavar=('H', 'W'))
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--child', choices=CODES, help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not osp.isfile(osp.join(args.official_root, 'models', 'seqformer.py')):
        parser.error(f'--official-root: {args.official_root} is not an '
                     'official SeqFormer checkout (no models/seqformer.py)')
    if not osp.isfile(osp.join(REPO, args.config)):
        parser.error(f'--config: no such file: {args.config}')
    return args


def dropout_off_(model: torch.nn.Module) -> None:
    """Every dropout of ``model`` in eval mode (the rest keeps training)."""
    for module in model.modules():
        if isinstance(module, (torch.nn.Dropout, torch.nn.MultiheadAttention)):
            module.eval()


def official_step(args: argparse.Namespace, clips: list):
    import benchmark_workloads as work
    torch.manual_seed(0)
    model, criterion = work.build_official_training_model(
        args.official_root, args.device, TRAIN_FRAMES)
    torch.save({'model': model.state_dict()},
               osp.join(args.workdir, 'official.pth'))
    dropout_off_(model)
    return work.official_training_step(model, criterion, args.official_root,
                                       clips, args.device, False)


def our_step(args: argparse.Namespace, clips: list):
    import benchmark_workloads as work
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseqformer.models.utils import (check_state_dict_fits,
                                          official_to_mmseqformer)
    cfg = Config.fromfile(osp.join(REPO, args.config))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    cfg.model.backbone.init_cfg = None
    cfg.model.track_head.num_classes = OFFICIAL_CLASSES
    model = MODELS.build(cfg.model)
    official = torch.load(
        osp.join(args.workdir, 'official.pth'), weights_only=True)['model']
    state, _ = official_to_mmseqformer(
        official, class_rows=tuple(range(OFFICIAL_CLASSES)))
    check_state_dict_fits(state, model.state_dict())
    model.load_state_dict(state, strict=True)
    model = model.to(args.device).train()
    dropout_off_(model)
    return work.our_training_step(model, clips, args.device, False)


def child(args: argparse.Namespace) -> None:
    """Build one code's step, run it ``1 + --steps`` times; emit a row."""
    clips = torch.load(osp.join(args.workdir, 'clips.pth'), weights_only=False)
    step = (official_step if args.child == 'official' else our_step)(args,
                                                                     clips)
    losses = {k: float(v) for k, v in step().items()}
    memory = PeakMemory(args.device)
    synchronize(args.device)
    memory.reset()
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        synchronize(args.device)
        seconds.append(time.perf_counter() - start)
    emit(
        dict(
            code=args.child,
            seconds=seconds,
            peak_gb=memory.peak_gb(),
            losses=losses,
            threads=torch.get_num_threads()))


def run_code(args: argparse.Namespace, code: str, workdir: str) -> dict:
    python = args.official_python if code == 'official' else sys.executable
    command = [
        python,
        osp.abspath(__file__), '--child', code, '--workdir', workdir,
        '--official-root', args.official_root, '--config', args.config,
        '--size', *map(str, args.size), '--steps',
        str(args.steps), '--device', args.device
    ]
    rows, error = run_child(command)
    if error or not rows:
        raise RuntimeError(f'{code}: {last_error_line(error or "no result")}')
    return rows[-1]


def loss_differences(official: dict, ours: dict) -> dict:
    """Per official term: the relative difference of ours."""
    from mmseqformer.models.utils.official_keys import official_loss_to_ours
    mapped = {official_loss_to_ours(k): v for k, v in official.items()}
    if set(mapped) != set(ours):
        raise AssertionError('the codes return different loss terms: '
                             f'{sorted(set(mapped) ^ set(ours))}')
    return {
        name: abs(ours[name] - value) / max(abs(value), 1e-12)
        for name, value in mapped.items()
    }


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    import benchmark_workloads as work
    height, width = args.size
    runs = {code: [] for code in CODES}
    with tempfile.TemporaryDirectory() as workdir:
        torch.save(
            work.synthetic_clips(TRAIN_CLIPS, TRAIN_FRAMES, height, width,
                                 LABELS), osp.join(workdir, 'clips.pth'))
        for _ in range(args.repeats):
            for code in CODES:  # the official one saves the weights first
                runs[code].append(run_code(args, code, workdir))
    rows = {
        code:
        dict(
            seconds=median([s for run in code_runs for s in run['seconds']]),
            peak_gb=median([run['peak_gb'] for run in code_runs]),
            runs=[round(median(run['seconds']), 2) for run in code_runs],
            losses=code_runs[0]['losses'],
            threads=code_runs[0]['threads'])
        for code, code_runs in runs.items()
    }
    differences = loss_differences(rows['official']['losses'],
                                   rows['ours']['losses'])
    print(f'{TRAIN_CLIPS} clips x {TRAIN_FRAMES} frames of {width}x{height}, '
          f'{args.device}, {rows["ours"]["threads"]} threads, '
          f'{args.steps} timed steps x {args.repeats} runs per code')
    print('| code | s / step | peak memory (GB) | first-step loss | '
          'runs (median s / step) |')
    print('| --- | --- | --- | --- | --- |')
    for code, row in rows.items():
        print(f'| {code} | {row["seconds"]:.2f} | {row["peak_gb"]:.2f} | '
              f'{sum(row["losses"].values()):.6f} | '
              f'{" ".join(map(str, row["runs"]))} |')
    speedup = rows['official']['seconds'] / rows['ours']['seconds']
    worst = max(differences, key=differences.get)
    print(f'speed-up: {speedup:.2f}x; loss terms: {len(differences)}, '
          f'largest relative difference {differences[worst]:.1e} ({worst})')


if __name__ == '__main__':
    main()
