"""Command-line handling shared by tools/train.py and tools/test.py."""
import argparse
import copy
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, DictAction

from ..install_check import check_cuda_ops
from .config_lookup import read_config
from .dist_utils import setup_distributed_backend
from .user_errors import report_user_errors

#: The runner the tools use: strict checkpoint loading, atomic saving.
TOOL_RUNNER = 'StrictAtomicRunner'


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--non-strict``,
    ``--launcher``, ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    add_non_strict_argument(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_cfg.max_iters=10')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_non_strict_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--non-strict`` (load a checkpoint that does not fit)."""
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a checkpoint even if its keys or shapes do not fit the '
        'model (those keys are skipped); by default that stops with the '
        'keys named')


def load_tool_config(args: argparse.Namespace,
                     config: Optional[str] = None) -> Config:
    """Load ``args.config`` (a file or a shipped config's name,
    :func:`~.config_lookup.find_config`) and apply the common options.

    The work dir is ``--work-dir``, else the config's, else
    ``./work_dirs/<config name>``, as in mmdet's tools. Without a GPU,
    distributed runs use gloo (:func:`setup_distributed_backend`); with
    one, mmcv must have its CUDA ops. A config that is missing or cannot be
    read (:func:`~.config_lookup.read_config`), or mmcv without its CUDA
    ops on a GPU, exits with one line (``error: ...``). The
    runner is :data:`TOOL_RUNNER` unless the config names one
    (``runner_type``); ``strict_load`` is False with ``--non-strict``.

    Args:
        args (argparse.Namespace): Parsed arguments with the common options.
        config (str, optional): Config path or name; defaults to
            ``args.config``.

    Returns:
        Config: The config, ready for ``Runner.from_cfg``.
    """
    # A missing or unreadable config, or mmcv without the CUDA ops a GPU
    # run needs: one line (``error: ...``) and exit.
    with report_user_errors():
        cfg = read_config(config or args.config)
        # The runner puts the model on the GPU when there is one.
        check_cuda_ops('cuda' if torch.cuda.is_available() else 'cpu')
    config = cfg.filename
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    if 'runner_type' not in cfg:
        cfg.runner_type = TOOL_RUNNER
    if getattr(args, 'non_strict', False):
        cfg.strict_load = False
    setup_distributed_backend(cfg)
    return cfg


def load_model_config(config, cfg_options: Optional[dict] = None) -> Config:
    """A copy of ``config`` (a file, a shipped config's name or a Config)
    with ``cfg_options`` merged, its default scope made current (for the
    API's model builders)."""
    from mmengine.registry import init_default_scope
    if isinstance(config, str):
        config = read_config(config)
    config = copy.deepcopy(config)
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmdet'))
    return config
