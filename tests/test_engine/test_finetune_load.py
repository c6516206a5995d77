"""Starting weights when training: a missing ``load_from`` stops at once;
fine-tuning (``finetune_cfg``) re-initialises the class heads, loads every
other key, refuses a checkpoint that does not fit elsewhere, and logs which
keys were re-initialised."""
import contextlib
import copy
import glob
import io
import logging
import os.path as osp
import re
from typing import Iterator

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope

from mmseqformer.engine.runners import StrictAtomicRunner
from mmseqformer.models.tracking_heads.seqformer_head import CLS_BIAS_INIT
from mmseqformer.testing import REPO_ROOT, TINY_OVERRIDES, tiny_seqformer_cfg
from mmseqformer.utils import CheckpointMismatchError
from mmseqformer.utils.checkpoint_fit import (LoadFromNotFoundError,
                                              check_load_from,
                                              split_for_finetuning)
from tests.test_engine.toy_runner import build_runner

TEMPLATE = osp.join(REPO_ROOT, 'configs/seqformer',
                    'seqformer_r50_8xb2-12e_finetune-custom.py')
SYNTHETIC = osp.join(REPO_ROOT, 'configs/_base_/datasets/synthetic_vis.py')
CLASS_HEAD = re.compile(r'^track_head\.cls_branches\.')


@contextlib.contextmanager
def captured_log(runner) -> Iterator[io.StringIO]:
    """What the runner logs within the block. (Not its log file: runners
    made in the same second share one logger, and so one file.)"""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    runner.logger.addHandler(handler)
    try:
        yield text
    finally:
        runner.logger.removeHandler(handler)


# --- load_from that does not exist -----------------------------------------


def test_check_load_from_names_the_file_the_config_and_the_way_out(tmp_path):
    missing = str(tmp_path / 'checkpoints' / 'start.pth')
    with pytest.raises(LoadFromNotFoundError) as info:
        check_load_from(missing, 'configs/my.py')
    message = str(info.value)
    assert '\n' not in message  # one line for the tools
    assert repr(missing) in message and 'configs/my.py' in message
    assert 'seqformer_official_to_mmseqformer.py' in message
    assert 'docs/model_zoo.md' in message
    assert '--cfg-options load_from=None' in message
    # Nothing to check: no start, a remote file, an existing file.
    existing = tmp_path / 'there.pth'
    existing.write_bytes(b'')
    for load_from in (None, 'torchvision://resnet50', str(existing)):
        check_load_from(load_from, 'configs/my.py')


def test_training_stops_before_its_first_iteration_without_load_from(tmp_path):
    missing = str(tmp_path / 'missing.pth')
    runner = build_runner(str(tmp_path / 'run'), 1, load_from=missing)
    with pytest.raises(LoadFromNotFoundError, match=re.escape(missing)):
        runner.train()
    assert not glob.glob(str(tmp_path / 'run' / '*.pth'))


# --- fine-tuning: toy model --------------------------------------------------


@pytest.fixture
def narrower_runner(toy_checkpoint, tmp_path):
    """Fine-tuning the toy checkpoint into a model whose linear layer has
    3 inputs, not 4, and a new ``gate``: only the gate is to be
    re-initialised, so the linear layer does not fit."""
    runner = build_runner(
        str(tmp_path / 'finetune'),
        1,
        width=3,
        gate=True,
        load_from=toy_checkpoint)
    runner.finetune_cfg = dict(reinit_keys=[r'^gate$'])
    return runner


def test_a_misfit_outside_the_class_heads_stops_with_the_key(
        narrower_runner, toy_checkpoint, tmp_path):
    runner = narrower_runner
    with pytest.raises(CheckpointMismatchError) as info:
        runner.train()
    message = str(info.value)
    assert toy_checkpoint in message
    assert 'linear.weight: (1, 4) in the checkpoint, (1, 3) in the model' \
        in message
    assert "reinit_keys=['^gate$']" in message
    assert '--non-strict' in message
    assert not osp.isfile(tmp_path / 'finetune' / 'iter_1.pth')


def test_non_strict_fine_tuning_loads_what_fits(narrower_runner,
                                                toy_checkpoint):
    runner = narrower_runner
    runner.strict_load = False
    runner._training = True
    with captured_log(runner) as text:
        runner.load_or_resume()
    saved = torch.load(toy_checkpoint, weights_only=False)['state_dict']
    assert torch.equal(runner.model.linear.bias, saved['linear.bias'])
    log = text.getvalue()
    assert 'keys skipped (strict_load=False)' in log
    assert 'linear.weight: (1, 4) in the checkpoint' in log
    assert '1 of the other 2 key(s) of the model loaded' in log
    assert '1 skipped (above)' in log


def test_a_reinit_pattern_that_matches_nothing_is_refused(
        toy_checkpoint, tmp_path):
    # A typo must not silently load the old class heads.
    runner = build_runner(
        str(tmp_path / 'finetune'), 1, load_from=toy_checkpoint)
    runner.finetune_cfg = dict(reinit_keys=[r'^cls_brnaches\.'])
    runner._training = True
    with pytest.raises(CheckpointMismatchError, match='cls_brnaches'):
        runner.load_or_resume()


def test_split_keeps_the_state_dict_metadata():
    """Versioned modules (BN) read ``_metadata``; the split keeps it."""
    state = torch.nn.BatchNorm1d(2).state_dict()
    reference = dict(state)
    to_load, reinit, problems = split_for_finetuning(state, reference,
                                                     [r'^running_var$'])
    assert reinit == ['running_var'] and problems == []
    assert 'running_var' not in to_load and 'running_mean' in to_load
    assert to_load._metadata == state._metadata


# --- fine-tuning the template: tiny SeqFormer --------------------------------


class RecordStateHook(Hook):
    """Keep the model's state dict as training starts (after loading)."""

    def before_train(self, runner) -> None:
        self.state = {
            key: value.detach().clone()
            for key, value in runner.model.state_dict().items()
        }


@pytest.fixture(scope='module')
def five_class_checkpoint(tmp_path_factory):
    """A tiny SeqFormer with 5 classes, every weight moved away from its
    initialisation (so loaded and initialised values differ)."""
    init_default_scope('mmdet')
    torch.manual_seed(1)
    model = MODELS.build(tiny_seqformer_cfg(num_classes=5))
    model.init_weights()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    path = str(tmp_path_factory.mktemp('start') / 'five_classes.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def tiny_template_cfg(synthetic_root, checkpoint, work_dir) -> Config:
    """The fine-tuning template with the tiny model, the synthetic set
    (3 classes) and 1 training iteration."""
    cfg = Config.fromfile(TEMPLATE)
    synthetic = Config.fromfile(SYNTHETIC)
    cfg.merge_from_dict(dict(model=copy.deepcopy(TINY_OVERRIDES)))
    cfg.model.track_head.num_classes = len(synthetic.classes)
    cfg.merge_from_dict(
        dict(
            train_dataloader=dict(
                batch_size=1,
                num_workers=0,
                persistent_workers=False,
                dataset=dict(
                    data_root=synthetic_root + '/',
                    metainfo=dict(classes=synthetic.classes),
                    pipeline=synthetic.train_pipeline))))
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator',
                'param_scheduler'):
        cfg[key] = None
    cfg.train_cfg = dict(by_epoch=False, max_iters=1)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.load_from = checkpoint
    cfg.work_dir = work_dir
    return cfg


def test_fine_tuning_template_reinitialises_only_the_class_heads(
        synthetic_root, five_class_checkpoint, tmp_path):
    work_dir = str(tmp_path / 'finetune')
    cfg = tiny_template_cfg(synthetic_root, five_class_checkpoint, work_dir)
    runner = StrictAtomicRunner.from_cfg(cfg)
    recorder = RecordStateHook()
    runner.register_hook(recorder)
    with captured_log(runner) as text:
        runner.train()

    saved = torch.load(five_class_checkpoint, weights_only=False)['state_dict']
    loaded = recorder.state
    heads = sorted(key for key in loaded if CLASS_HEAD.match(key))
    # 2 decoder layers, a weight and a bias each.
    assert heads == [
        f'track_head.cls_branches.{i}.{p}' for i in range(2)
        for p in ('bias', 'weight')
    ]
    for key in heads:
        # 3 rows (the synthetic classes), not the checkpoint's 5 or 3 of them.
        assert loaded[key].shape[0] == 3 and saved[key].shape[0] == 5
        assert not torch.equal(loaded[key], saved[key][:3])
        if key.endswith('bias'):  # the official prior, fresh
            assert torch.equal(loaded[key], torch.full((3, ), CLS_BIAS_INIT))
    for key, value in loaded.items():
        if key not in heads:
            assert torch.equal(value, saved[key]), key
    # It trained from there.
    assert osp.isfile(osp.join(work_dir, 'iter_1.pth'))

    log = text.getvalue()
    assert f'Fine-tuning from {five_class_checkpoint}: 4 key(s) ' \
        're-initialised' in log
    assert 'track_head.cls_branches.0.weight: (5, 32) in the checkpoint, ' \
        '(3, 32) in the model' in log
    assert 'track_head.cls_branches.1.bias: (5,) in the checkpoint, (3,) ' \
        'in the model' in log
    assert f'All other {len(loaded) - 4} key(s) of the model loaded' in log


def test_fine_tuning_template_refuses_another_architecture(
        synthetic_root, five_class_checkpoint, tmp_path):
    """A checkpoint of a model with 3 decoder layers instead of 2 does not
    fit outside the class heads: training does not start."""
    work_dir = str(tmp_path / 'finetune')
    cfg = tiny_template_cfg(synthetic_root, five_class_checkpoint, work_dir)
    cfg.model.track_head.decoder.num_layers = 1
    runner = StrictAtomicRunner.from_cfg(cfg)
    with pytest.raises(CheckpointMismatchError) as info:
        runner.train()
    assert 'key(s) not in the model:\n  track_head.decoder.layers.1.' in \
        str(info.value)
    assert not osp.isfile(osp.join(work_dir, 'iter_1.pth'))


def test_template_reinit_keys_are_the_class_heads_of_the_r50_model():
    """The template's patterns select exactly the class heads of the
    configured model (6 decoder layers, one row per class)."""
    cfg = Config.fromfile(TEMPLATE)
    assert cfg.model.track_head.num_classes == len(cfg.classes)
    with torch.device('meta'):
        reference = MODELS.build(cfg.model).state_dict()
    _, reinit, _ = split_for_finetuning({}, reference,
                                        cfg.finetune_cfg.reinit_keys)
    assert reinit == sorted(f'track_head.cls_branches.{i}.{p}'
                            for i in range(6) for p in ('bias', 'weight'))
    assert all(reference[key].shape[0] == len(cfg.classes) for key in reinit)
