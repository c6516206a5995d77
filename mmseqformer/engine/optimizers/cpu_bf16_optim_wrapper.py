"""Mixed precision for training on a CPU (``tools/train.py --amp``)."""
import contextlib

import torch
from mmdet.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper


@OPTIM_WRAPPERS.register_module()
class CPUBFloat16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under CPU bfloat16 autocast.

    mmengine's ``AmpOptimWrapper`` refuses to be built without a GPU, and
    CPU autocast has no float16. No loss scaling: bfloat16 has float32's
    exponent range, so gradients do not underflow. Worth it only on CPUs
    with native bfloat16 arithmetic (others run it several times slower
    than float32).
    """

    @contextlib.contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield


def amp_optim_wrapper(optim_wrapper: dict, cuda: bool) -> dict:
    """The config's optimizer wrapper for ``--amp``: float16 autocast with
    dynamic loss scaling on a GPU, bfloat16 autocast on the CPU.

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper``.
        cuda (bool): Whether training runs on a GPU.

    Returns:
        dict: A new ``optim_wrapper`` config.
    """
    optim_wrapper = dict(optim_wrapper)
    if cuda:
        optim_wrapper.update(
            type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')
    else:
        optim_wrapper.update(type='CPUBFloat16OptimWrapper')
        optim_wrapper.pop('loss_scale', None)
        optim_wrapper.pop('dtype', None)
    return optim_wrapper
