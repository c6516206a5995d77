"""Command-line handling shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction

from .dist_utils import setup_distributed_backend


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher``,
    ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
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


def load_tool_config(args: argparse.Namespace,
                     config: Optional[str] = None) -> Config:
    """Load ``args.config`` and apply the common options.

    The work dir is ``--work-dir``, else the config's, else
    ``./work_dirs/<config name>``, as in mmdet's tools. Without a GPU,
    distributed runs use gloo (:func:`setup_distributed_backend`).

    Args:
        args (argparse.Namespace): Parsed arguments with the common options.
        config (str, optional): Config path; defaults to ``args.config``.

    Returns:
        Config: The config, ready for ``Runner.from_cfg``.
    """
    config = config or args.config
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    setup_distributed_backend(cfg)
    return cfg
