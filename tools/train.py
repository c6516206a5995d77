"""Train a model from a config (mmdet's train.py, plus CPU-friendly bits).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]

Distributed: ``tools/dist_train.sh`` (torchrun) or ``tools/slurm_train.sh``.

Training starts from the config's ``load_from`` (the converted official
weights, docs/model_zoo.md); a missing file stops the tool at once with one
line saying how to make it or how to start without it. ``--resume`` without
a value continues from the work dir's newest checkpoint, and starts from
``load_from`` when there is none yet (mmdet's train.py would drop it).

A user's mistake (a missing or unreadable config, checkpoint or annotation
file) stops the tool with one line, ``error: <file>: <what>``, and a
non-zero exit status.
"""
import argparse
import os.path as osp
import sys
from typing import Optional

# Let configs' `custom_imports = ['mmseqformer']` work from a source checkout.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch
from mmengine.config import Config
from mmengine.registry import RUNNERS

from mmseqformer.engine import amp_optim_wrapper
from mmseqformer.utils import (UserInputError, add_common_arguments,
                               load_tool_config, report_user_errors)
from mmseqformer.utils.checkpoint_fit import (check_load_from, is_local_path,
                                              read_checkpoint)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: float16 on a GPU, bfloat16 on the '
        'CPU')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate with the total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or without a value from the '
        'latest checkpoint in the work dir')
    add_common_arguments(parser)
    return parser.parse_args()


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the training options."""
    cfg = load_tool_config(args)
    if args.amp:
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper,
                                              torch.cuda.is_available())
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise UserInputError(
                cfg.filename, 'the config has no "auto_scale_lr.base_'
                'batch_size"; --auto-scale-lr cannot be used')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        # mmengine resumes from load_from when both are set, so load_from
        # goes only when there is a checkpoint of this run to resume.
        if osp.isfile(osp.join(cfg.work_dir, 'last_checkpoint')):
            cfg.resume = True
            cfg.load_from = None
        else:
            print(f'--resume: no checkpoint in {cfg.work_dir} yet, starting '
                  f'from load_from ({cfg.get("load_from")})')
    elif args.resume is not None:
        if is_local_path(args.resume) and not osp.isfile(args.resume):
            raise SystemExit(
                f'error: {args.resume}: checkpoint not found (--resume)')
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def finished_run(cfg: Config) -> Optional[str]:
    """Why there is nothing left to train when the last checkpoint of
    ``cfg.work_dir`` is already at the end of the schedule (a rerun of a
    finished stage, as ``make demo-model`` does); None otherwise. Resuming
    would still replay the dataloader up to there."""
    with open(osp.join(cfg.work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    if not osp.isfile(path):
        return None
    train_cfg = cfg.get('train_cfg') or {}
    meta = read_checkpoint(path).get('meta') or {}
    for key, unit in (('max_iters', 'iter'), ('max_epochs', 'epoch')):
        if key in train_cfg and meta.get(unit) is not None:
            if meta[unit] >= train_cfg[key]:
                return (f'{path} is at {unit} {meta[unit]} of '
                        f'{train_cfg[key]}: nothing left to train')
    return None


@report_user_errors()
def main() -> None:
    args = parse_args()
    cfg = build_config(args)
    finished = args.resume == 'auto' and cfg.get('resume') and finished_run(
        cfg)
    if finished:
        print(f'--resume: {finished}')
        return
    if not cfg.get('resume', False):
        # Before the runner exists: nothing is written for a missing file.
        check_load_from(cfg.get('load_from'), cfg.filename)
    # StrictAtomicRunner (load_tool_config): a resumed checkpoint must fit
    # the model (--non-strict to override), a fine-tuning start
    # (finetune_cfg) everywhere but the class heads, and checkpoints are
    # written atomically.
    runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
