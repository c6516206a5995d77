import os.path as osp
import time

import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from mmseqformer.engine import WallClockBudgetHook


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        return dict(loss=(out**2).mean()) if mode == 'loss' else out


def test_training_stops_at_the_budget_and_saves(tmp_path):
    runner = Runner(
        model=ToyModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.ones(1))] * 8,
            sampler=dict(type='InfiniteSampler'),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=10**7),
        custom_hooks=[WallClockBudgetHook(budget_s=1.0)],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmdet')
    start = time.monotonic()
    runner.train()
    elapsed = time.monotonic() - start
    assert 0 < runner.iter < 10**7
    assert elapsed >= 1.0  # never before the budget
    assert osp.isfile(tmp_path / 'budget_end.pth')
