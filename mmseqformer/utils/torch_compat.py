"""PyTorch APIs whose signature changed within the supported range
(torch >= 2.1), behind one spelling that works on all of them."""
import inspect

import torch


def is_autocast_enabled(device_type: str) -> bool:
    """Whether autocast is on for ``device_type`` ('cpu', 'cuda', ...).

    ``torch.is_autocast_enabled(device_type)`` exists from torch 2.4 on;
    before, the call without argument answers for CUDA and
    ``torch.is_autocast_cpu_enabled()`` for the CPU.
    """
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:
        if device_type == 'cpu':
            return torch.is_autocast_cpu_enabled()
        return device_type == 'cuda' and torch.is_autocast_enabled()


def torchscript_onnx_export(*args, **kwargs) -> None:
    """``torch.onnx.export`` with the TorchScript tracer.

    torch >= 2.5 has a second exporter (``dynamo=True``, the default from
    2.9); the graphs here are made by tracing, so it is switched off where
    the argument exists. Older torch only has the tracer.
    """
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        kwargs['dynamo'] = False
    torch.onnx.export(*args, **kwargs)
