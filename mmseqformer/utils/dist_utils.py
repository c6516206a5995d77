"""Distributed set-up shared by tools/train.py and tools/test.py."""
import torch
from mmengine.config import Config


def setup_distributed_backend(cfg: Config) -> None:
    """Use gloo instead of nccl when a distributed run has no GPU.

    mmdet's default runtime asks for nccl, which only works on CUDA; with
    gloo the same config trains with torchrun on CPU machines.

    Args:
        cfg (Config): The config, changed in place.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
