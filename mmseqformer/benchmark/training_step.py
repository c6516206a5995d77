"""One optimiser step of the official recipe, for either code's losses.

Forward, losses, backward, gradient clipping at 0.1 and AdamW (the
official recipe; both codes' steps use it), with loss scaling under
float16. Mixed precision (``amp=True``) is ``torch.autocast``: float16 on
CUDA, bfloat16 on the CPU (whose autocast has no float16).

Only torch: the official code's children (another environment's Python)
run it too.
"""
import contextlib
from typing import Callable, List

import torch
from torch import nn

#: The official batch: clips per GPU and frames per clip.
TRAIN_CLIPS, TRAIN_FRAMES = 2, 5
#: Learning rate, weight decay and gradient clipping of the official
#: recipe.
LR, WEIGHT_DECAY, MAX_GRAD_NORM = 2e-4, 1e-4, 0.1


def amp_dtype(device: str) -> torch.dtype:
    """float16 on CUDA, bfloat16 on the CPU."""
    return torch.float16 if device.startswith('cuda') else torch.bfloat16


def autocast(device: str, amp: bool) -> contextlib.AbstractContextManager:
    return torch.autocast(
        device.split(':')[0], dtype=amp_dtype(device), enabled=amp)


def grad_scaler(device_type: str, enabled: bool):
    """A loss scaler: ``torch.amp.GradScaler`` from torch 2.3 on, CUDA's
    before (a disabled one passes everything through on any device)."""
    if hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler(device_type, enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def training_step(model: nn.Module, losses: Callable[[], dict], device: str,
                  amp: bool) -> Callable[[], dict]:
    """A function that runs one step on ``model`` and returns the losses.

    Args:
        model (nn.Module): Its trainable parameters are optimised.
        losses (callable): The forward pass: ``{name: scalar tensor}``,
            weighted as they are summed.
        device (str): Where the model is.
        amp (bool): Autocast the forward pass (:func:`autocast`).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=WEIGHT_DECAY)
    # Loss scaling keeps float16 gradients from underflowing; bfloat16 has
    # float32's range and needs none.
    scaler = grad_scaler(
        device.split(':')[0], enabled=amp and device.startswith('cuda'))

    def step() -> dict:
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, amp):
            values = losses()
        total = sum(values.values())
        scaler.scale(total).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
        scaler.step(optimizer)
        scaler.update()
        return {k: v.detach() for k, v in values.items()}

    return step


def total_loss(losses: dict) -> float:
    return float(sum(v.float() for v in losses.values()).item())


def dropout_off_(model: nn.Module) -> None:
    """Every dropout of ``model`` in eval mode (the rest keeps training):
    the codes draw their dropout masks differently."""
    for module in model.modules():
        if isinstance(module, (nn.Dropout, nn.MultiheadAttention)):
            module.eval()


def synthetic_clips(num_clips: int, num_frames: int, height: int, width: int,
                    num_classes: int) -> List[dict]:
    """The training batch of both codes: 3 drifting instances per clip
    (needs mmseqformer: the parent makes it and saves it for the official
    code's child)."""
    from mmseqformer.testing.synthetic_clips import make_training_clips
    return make_training_clips(
        num_clips,
        num_frames,
        height,
        width,
        num_instances=3,
        num_classes=num_classes,
        seed=0)
