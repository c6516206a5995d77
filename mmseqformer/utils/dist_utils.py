"""Distributed set-up shared by tools/train.py and tools/test.py."""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_distributed_backend(cfg: Config) -> None:
    """Let a torchrun job without GPU run with the gloo backend.

    mmdet's default runtime asks for nccl, and mmengine (0.11) calls
    ``torch.cuda.set_device`` and wraps the model in DDP with
    ``device_ids=[LOCAL_RANK]``, all of which fail without CUDA. On such a
    machine this starts the gloo process group itself (mmengine then skips
    its own ``init_dist``) and asks for a CPU DDP wrapper. With CUDA, or
    without a launcher, the config is left as it is.

    Args:
        cfg (Config): The config, changed in place.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher "{launcher}" needs GPUs; on CPU machines start the '
            'processes with torchrun (tools/dist_train.sh)')
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or {}
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None  # CPU module
    cfg.model_wrapper_cfg = wrapper
