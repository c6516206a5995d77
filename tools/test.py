"""Test a model, or write a YouTube-VIS server submission.

    python tools/test.py CONFIG CHECKPOINT                 # AP on the val set
    python tools/test.py CONFIG CHECKPOINT --format-only [--out-dir DIR]

With ``--format-only`` it writes ``DIR/results.json`` and
``DIR/results.submission_file.zip`` (default DIR: ``<work_dir>/submission``).
"""
import argparse
import os
import os.path as osp
import sys

# Let configs' `custom_imports = ['mmseqformer']` work from a source checkout.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseqformer.utils import setup_distributed_backend  # noqa: E402

#: How the paper's columns are named in the printed summary.
SUMMARY_NAMES = {'mAP': 'AP', 'mAP_50': 'AP50', 'mAP_75': 'AP75',
                 'AR@1': 'AR1', 'AR@10': 'AR10'}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--format-only', action='store_true',
        help='only write results.json and the submission zip (for the '
        'evaluation server), no AP')
    parser.add_argument(
        '--out-dir', help='where --format-only writes its files '
        '(default: <work_dir>/submission)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. test_dataloader.num_workers=0')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def evaluator_list(evaluator) -> list:
    """The metric configs of ``test_evaluator`` (a dict, list or Evaluator
    config)."""
    if isinstance(evaluator, (list, tuple)):
        return list(evaluator)
    if 'metrics' in evaluator:
        metrics = evaluator['metrics']
        return list(metrics) if isinstance(metrics, (list, tuple)) else [
            metrics
        ]
    return [evaluator]


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line options."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.format_only:
        out_dir = args.out_dir or osp.join(cfg.work_dir, 'submission')
        for metric in evaluator_list(cfg.test_evaluator):
            if isinstance(metric, (dict, ConfigDict)):
                metric['format_only'] = True
                metric['outfile_prefix'] = osp.join(out_dir, 'results')
    setup_distributed_backend(cfg)
    return cfg


def print_summary(metrics: dict) -> None:
    """Print the paper's columns (AP, AP50, AP75, AR1, AR10) on one line."""
    values = {}
    for key, value in metrics.items():
        item = key.rsplit('segm_', 1)[-1]
        if item in SUMMARY_NAMES:
            values[SUMMARY_NAMES[item]] = value
    if values:
        print('YouTube-VIS segm: ' +
              '  '.join(f'{name} {value:.3f}'
                        for name, value in values.items()))


def main() -> None:
    args = parse_args()
    cfg = build_config(args)
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    metrics = runner.test()
    if args.format_only:
        out_dir = args.out_dir or osp.join(cfg.work_dir, 'submission')
        print(f'Submission written: {osp.join(out_dir, "results.json")} and '
              f'{osp.join(out_dir, "results.submission_file.zip")}')
    else:
        print_summary(metrics)


if __name__ == '__main__':
    main()
