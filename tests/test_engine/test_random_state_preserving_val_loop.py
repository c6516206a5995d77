"""Validation must not change what training draws from the random stream."""
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseqformer.engine import preserved_random_state
from mmseqformer.testing import REPO_ROOT

CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'


def draw_all():
    return (random.random(), float(np.random.rand()), float(torch.rand(())))


def test_preserved_random_state_restores_every_generator():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    expected = draw_all()
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    with preserved_random_state():
        inside = draw_all()
        torch.randn(100)  # as a dataloader's base seed or a pipeline would
    assert draw_all() == expected
    assert inside == expected  # the block itself saw the same stream


def train_weights(root, work_dir, val_interval, val_loop):
    """Weights after 4 iterations of the tiny SeqFormer on the small set,
    with dropout in the decoder as the released configs have (0.1)."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root + '/'
    cfg.model.track_head.decoder.layer_cfg.dropout = 0.1
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = 4
    cfg.train_cfg.val_interval = val_interval
    cfg.val_cfg = dict(type=val_loop)
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 100
    cfg.val_evaluator.outfile_prefix = osp.join(work_dir, 'results')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


@pytest.mark.slow
def test_validating_every_iteration_does_not_change_the_weights(
        synthetic_root, tmp_path):
    """Same seed, validation after every iteration or only at the end:
    identical weights. mmengine's plain ValLoop gives different weights
    (each validation draws a dataloader base seed from torch's generator,
    which moves the dropout masks of the next iterations), so the test can
    fail."""
    weights = {(interval, loop):
               train_weights(synthetic_root,
                             str(tmp_path / f'{loop}{interval}'), interval,
                             loop)
               for loop in ('RandomStatePreservingValLoop', 'ValLoop')
               for interval in (1, 4)}

    def same(a, b):
        return all(torch.equal(a[key], b[key]) for key in a)

    assert same(weights[1, 'RandomStatePreservingValLoop'],
                weights[4, 'RandomStatePreservingValLoop'])
    assert not same(weights[1, 'ValLoop'], weights[4, 'ValLoop'])
    # Validating only at the end leaves training as it was with either loop.
    assert same(weights[4, 'ValLoop'], weights[4,
                                               'RandomStatePreservingValLoop'])
