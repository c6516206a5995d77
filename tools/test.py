"""Test a model, or write a YouTube-VIS server submission.

    python tools/test.py CONFIG CHECKPOINT                 # AP on the val set
    python tools/test.py CONFIG CHECKPOINT --format-only [--out-dir DIR]
    python tools/test.py CONFIG CHECKPOINT --amp           # mixed precision

With ``--format-only`` it writes ``DIR/results.json`` and
``DIR/results.submission_file.zip`` (default DIR: ``<work_dir>/submission``)
and prints their paths; the two change together (both are links into
``DIR/.results.versions``). Without it, it computes AP, whatever the
config's ``test_evaluator.format_only`` says; on a split without ground truth
(``"annotations"`` null, absent or empty, as the YouTube-VIS valid files) it
stops at once with one line naming the file and the ``--format-only``
command.

A checkpoint whose keys or shapes do not fit the model stops the tool
before it writes anything, with the keys named (``--non-strict`` loads it
anyway). Any other mistake in the input (a missing or unreadable config,
checkpoint or annotation file) stops it with one line, ``error: <file>:
<what>``, and a non-zero exit status.
"""
import argparse
import os.path as osp
import sys

# Let configs' `custom_imports = ['mmseqformer']` work from a source checkout.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config
from mmengine.registry import RUNNERS

from mmseqformer.datasets.ytvis_format import has_ground_truth, load_json_file
from mmseqformer.engine import check_checkpoint_fits_config
from mmseqformer.utils import (add_common_arguments, load_tool_config,
                               report_user_errors)

#: How the paper's columns are named in the printed summary.
SUMMARY_NAMES = {
    'mAP': 'AP',
    'mAP_50': 'AP50',
    'mAP_75': 'AP75',
    'AR@1': 'AR1',
    'AR@10': 'AR10'
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--format-only',
        action='store_true',
        help='only write results.json and the submission zip (for the '
        'evaluation server), no AP')
    parser.add_argument(
        '--out-dir',
        help='where --format-only writes its files '
        '(default: <work_dir>/submission)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='run the network in mixed precision (float16 on a GPU, '
        'bfloat16 on the CPU; test_cfg.amp of the head)')
    add_common_arguments(parser)
    return parser.parse_args()


def evaluator_list(evaluator) -> list:
    """The metric configs of ``test_evaluator`` (a dict, a list, or an
    Evaluator config with ``metrics``)."""
    if isinstance(evaluator, (list, tuple)):
        return list(evaluator)
    metrics = evaluator.get('metrics', evaluator)
    return list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]


def submission_dir(args: argparse.Namespace, cfg: Config) -> str:
    return args.out_dir or osp.join(cfg.work_dir, 'submission')


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the test options."""
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint not found: {args.checkpoint}')
    cfg = load_tool_config(args)
    cfg.load_from = args.checkpoint
    if args.amp:
        head = cfg.model.track_head
        head.test_cfg = dict(head.get('test_cfg') or {}, amp=True)
    for metric in evaluator_list(cfg.test_evaluator):
        if args.format_only:
            metric['format_only'] = True
            metric['outfile_prefix'] = osp.join(
                submission_dir(args, cfg), 'results')
        elif 'format_only' in metric:
            # The YouTube-VIS configs say format_only (their valid split
            # has no ground truth), which silently wrote the results under
            # ./work_dirs and printed nothing: here the command decides.
            metric['format_only'] = False
    return cfg


def annotation_files(dataset: dict) -> list:
    """The local annotation files of a dataset config (each part of a
    ``ConcatDataset``), ``data_root`` joined as mmengine joins it."""
    files = []
    for part in dataset.get('datasets', [dataset]):
        ann_file = part.get('ann_file')
        if not ann_file or '://' in ann_file:
            continue
        data_root = part.get('data_root')
        if data_root and not osp.isabs(ann_file):
            ann_file = osp.join(data_root, ann_file)
        files.append(ann_file)
    return files


def check_ground_truth(args: argparse.Namespace, cfg: Config) -> None:
    """Stop, with one line, when AP is asked on a split without ground
    truth (the metric would refuse only after the first video ran)."""
    for ann_file in annotation_files(cfg.test_dataloader.dataset):
        if not osp.isfile(ann_file):
            continue  # the dataset names a missing file itself
        content = load_json_file(ann_file)
        if not has_ground_truth(content):
            prefix = osp.join(submission_dir(args, cfg), 'results')
            raise SystemExit(
                f'error: {ann_file} has no ground truth ("annotations" is '
                'null, absent or empty), so AP cannot be computed; write '
                'the evaluation server\'s submission instead: python '
                f'tools/test.py {args.config} {args.checkpoint} '
                f'--format-only (writes {prefix}.json and '
                f'{prefix}.submission_file.zip; --out-dir DIR to choose '
                'where)')


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


@report_user_errors()
def main() -> None:
    args = parse_args()
    cfg = build_config(args)
    if not args.format_only:
        check_ground_truth(args, cfg)
    if not args.non_strict:
        # Before the runner exists: a mismatch writes nothing at all.
        check_checkpoint_fits_config(cfg, args.checkpoint)
    runner = RUNNERS.build(cfg)
    metrics = runner.test()
    if args.format_only:
        prefix = osp.join(submission_dir(args, cfg), 'results')
        print(f'Submission written: {prefix}.json and '
              f'{prefix}.submission_file.zip')
    else:
        print_summary(metrics)


if __name__ == '__main__':
    main()
