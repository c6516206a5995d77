"""Train models on the synthetic set for the same wall-clock time; print AP.

    python tools/analysis_tools/compare_on_synthetic.py --budget-min 20
    python tools/analysis_tools/compare_on_synthetic.py --budget-min 10 \
        --runs seqformer seqformer-no-decompose seqformer-average seqformer-sum

Each run is ``tools/train.py`` stopped by ``WallClockBudgetHook`` and then
``tools/test.py`` on the held-out videos. Runs go one after another, so they
do not compete for the cores. The table goes to stdout and to
``<work-dir>/results.md``.
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEQFORMER = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'
PEER = 'configs/baselines/mask2former_r18-tiny_1xb2-1200it_synthetic.py'
LAYER = 'model.track_head.decoder.layer_cfg'

#: name -> (config, extra --cfg-options)
RUNS = {
    'seqformer': (SEQFORMER, []),
    'mask2former-peer': (PEER, []),
    'seqformer-no-decompose': (SEQFORMER, [f'{LAYER}.query_decompose=False']),
    'seqformer-average': (SEQFORMER, [f'{LAYER}.aggregation=average']),
    'seqformer-sum': (SEQFORMER, [f'{LAYER}.aggregation=sum']),
    'seqformer-single-scale': (SEQFORMER, [
        'model.transformer_levels=[2]', 'model.num_feature_levels=1',
        'model.encoder.layer_cfg.self_attn_cfg.num_levels=1',
        f'{LAYER}.cross_attn_cfg.num_levels=1'
    ]),
}
METRIC_LINE = re.compile(r'YouTube-VIS segm: (.*)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--budget-min',
        type=float,
        default=20.0,
        help='training minutes per run')
    parser.add_argument(
        '--runs',
        nargs='+',
        default=['seqformer', 'mask2former-peer'],
        choices=sorted(RUNS))
    parser.add_argument('--data-root', default='data/synthetic_vis')
    parser.add_argument('--work-dir', default='work_dirs/compare_synthetic')
    return parser.parse_args()


def run(command) -> str:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        if lines and lines[-1].startswith('error: '):
            # The tool refused a user's input in one line: pass it on.
            sys.exit(lines[-1])
        sys.exit(f'failed: {" ".join(command)}\n{result.stderr[-3000:]}')
    return result.stdout + result.stderr


def budget_config(config: str, work_dir: str, budget_s: float) -> str:
    """A config inheriting ``config`` that stops on the clock only."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, 'budget_config.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{osp.join(REPO, config)!r}]\n'
                'train_cfg = dict(max_iters=10**9, val_interval=10**9)\n'
                'custom_hooks = [dict(type="WallClockBudgetHook", '
                f'budget_s={budget_s})]\n')
    return path


def train_and_test(name: str, budget_s: float, args) -> dict:
    config, options = RUNS[name]
    work_dir = osp.join(args.work_dir, name)
    data = [
        f'{loader}.dataset.data_root={args.data_root}/'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    log = run([
        sys.executable, 'tools/train.py',
        budget_config(config, work_dir, budget_s), '--work-dir', work_dir,
        '--cfg-options', *data, *options
    ])
    iters = re.findall(r'reached after (\d+) iterations', log)
    output = run([
        sys.executable, 'tools/test.py', config,
        osp.join(work_dir, 'budget_end.pth'), '--work-dir',
        osp.join(work_dir, 'test'), '--cfg-options', *data, *options
    ])
    metrics = METRIC_LINE.search(output).group(1)
    return dict(name=name, iters=iters[-1] if iters else '?', metrics=metrics)


def main() -> None:
    args = parse_args()
    budget_s = args.budget_min * 60
    os.makedirs(args.work_dir, exist_ok=True)
    run([
        sys.executable, 'tools/dataset_converters/make_synthetic_vis.py',
        args.data_root, '--seed', '0'
    ])
    rows = []
    for name in args.runs:
        result = train_and_test(name, budget_s, args)
        print(
            f'{name}: {result["iters"]} iterations; {result["metrics"]}',
            flush=True)
        rows.append(f'| {name} | {args.budget_min:g} min | '
                    f'{result["iters"]} | {result["metrics"]} |')
    table = '\n'.join([
        '| run | budget | iterations | held-out AP |',
        '| --- | --- | --- | --- |', *rows
    ])
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    print(table)


if __name__ == '__main__':
    main()
