"""Where an op runs, as its fast paths see it: the one question every
speed path of the package asks before it takes its own route.

- ``trace``: inside ``torch.jit.trace`` / ``torch.onnx.export``: the
  portable, traceable code (symbolic sizes, ONNX operators);
- ``cuda``: mmcv's CUDA kernels;
- ``cpu_training``: the CPU with gradients on (the bulk backward of
  :func:`~.weighted_row_sum.weighted_row_sum`, the configured training
  sampler);
- ``cpu_inference``: the CPU without gradients (the gather sampling,
  oneDNN's fused FFN, channels-last frames);
- ``other``: any other device (plain PyTorch).
"""
import torch
from torch import Tensor

TRACE = 'trace'
CUDA = 'cuda'
CPU_TRAINING = 'cpu_training'
CPU_INFERENCE = 'cpu_inference'
OTHER = 'other'


def execution_backend(tensor: Tensor) -> str:
    """The backend an op on ``tensor`` runs on now (see the module)."""
    if torch.jit.is_tracing():
        return TRACE
    if tensor.is_cuda:
        return CUDA
    if tensor.device.type != 'cpu':
        return OTHER
    return CPU_TRAINING if torch.is_grad_enabled() else CPU_INFERENCE
