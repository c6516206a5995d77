"""A tiny training run with :class:`StrictAtomicRunner`, for the kill tests.

    python -m tests.test_engine.toy_runner WORK_DIR MAX_ITERS [HANG_AT]

Trains a linear model, saving a checkpoint every iteration. With
``HANG_AT`` it stops at a critical moment of saving the checkpoint of
iteration 2, prints ``READY`` and sleeps until killed:

* ``write``: half of ``iter_2.pth``'s bytes are on disk;
* ``pointer``: ``iter_2.pth`` is saved, ``last_checkpoint`` is about to be
  replaced.
"""
import os
import sys
import time

import torch
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmseqformer.engine.runners import StrictAtomicRunner


class ToyModel(BaseModel):
    """y = w x + b (times a learnt gate if ``gate``), with an MSE loss."""

    def __init__(self, width: int = 4, gate: bool = False) -> None:
        super().__init__()
        self.linear = nn.Linear(width, 1)
        self.gate = nn.Parameter(torch.ones(1)) if gate else None

    def forward(self, inputs, targets=None, mode='tensor'):
        outputs = self.linear(inputs)
        if self.gate is not None:
            outputs = outputs * self.gate
        if mode == 'loss':
            return dict(loss=((outputs - targets)**2).mean())
        return outputs


class ToyDataset(Dataset):
    """Eight fixed (inputs, targets) pairs."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        inputs = torch.arange(4.0) + index
        return dict(inputs=inputs, targets=inputs.sum(0, keepdim=True))


def build_runner(work_dir: str, max_iters: int, **kwargs):
    return StrictAtomicRunner(
        model=ToyModel(kwargs.pop('width', 4), kwargs.pop('gate', False)),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False)),
        default_scope='mmengine',
        **kwargs)


def hang(reason: str) -> None:
    print('READY', reason, flush=True)
    while True:
        time.sleep(60)


def hang_while_writing() -> None:
    """Write half of iteration 2's checkpoint, then hang."""
    put = LocalBackend.put

    def half_put(self, obj, filepath):
        if 'iter_2.pth' in str(filepath):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            hang('write')
        put(self, obj, filepath)

    LocalBackend.put = half_put


def hang_before_pointer() -> None:
    """Hang when ``last_checkpoint`` is about to name iteration 2."""
    replace = os.replace

    def slow_replace(src, dst):
        if str(dst).endswith('last_checkpoint') and \
                open(src).read().endswith('iter_2.pth'):
            hang('pointer')
        replace(src, dst)

    os.replace = slow_replace


def main() -> None:
    work_dir, max_iters = sys.argv[1], int(sys.argv[2])
    hang_at = sys.argv[3] if len(sys.argv) > 3 else None
    if hang_at == 'write':
        hang_while_writing()
    elif hang_at == 'pointer':
        hang_before_pointer()
    build_runner(work_dir, max_iters, resume=hang_at == 'resume').train()


if __name__ == '__main__':
    main()
