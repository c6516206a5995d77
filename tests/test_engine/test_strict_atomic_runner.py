"""StrictAtomicRunner: strict checkpoint loading, atomic checkpoint saving.

The kill tests run a real training process (tests/test_engine/toy_runner.py),
stop it at the critical moment of saving, SIGKILL it and inspect the folder.
"""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmseqformer.testing import REPO_ROOT, kill_when_ready
from mmseqformer.utils import CheckpointMismatchError
from mmseqformer.utils.atomic_io import TEMPORARY_NAME
from tests.test_engine.toy_runner import build_runner


def toy_command(work_dir, max_iters, *extra):
    return [
        sys.executable, '-m', 'tests.test_engine.toy_runner',
        str(work_dir),
        str(max_iters), *extra
    ]


def run_toy(work_dir, max_iters, *extra):
    result = subprocess.run(
        toy_command(work_dir, max_iters, *extra),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def kill_at(work_dir, hang_at):
    """Start the toy run, wait for its READY at ``hang_at``, SIGKILL it."""
    kill_when_ready(toy_command(work_dir, 3, hang_at), hang_at)


def entries(work_dir):
    """Plain files of the work dir (the log folder and config left out)."""
    return sorted(
        name for name in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, name)) and not name.endswith('.py'))


def pointer(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return osp.basename(f.read())


def is_complete(path):
    return torch.load(path, weights_only=False)['meta']['iter'] > 0


@pytest.mark.slow
def test_kill_while_writing_leaves_no_partial_checkpoint(tmp_path):
    kill_at(tmp_path, 'write')
    names = entries(tmp_path)
    assert 'iter_2.pth' not in names, 'a half-written checkpoint is visible'
    assert pointer(tmp_path) == 'iter_1.pth'
    assert is_complete(tmp_path / 'iter_1.pth')
    leftovers = [
        n for n in names if n not in ('iter_1.pth', 'last_checkpoint')
    ]
    # Only the hidden temporary file of iteration 2.
    assert len(leftovers) == 1 and TEMPORARY_NAME.match(
        leftovers[0]).group('final') == 'iter_2.pth', names

    log = run_toy(tmp_path, 3, 'resume')
    assert 'resumed' in log.lower() and 'iter: 1' in log, log[-2000:]
    assert entries(tmp_path) == [
        'iter_1.pth', 'iter_2.pth', 'iter_3.pth', 'last_checkpoint'
    ]
    assert pointer(tmp_path) == 'iter_3.pth'


@pytest.mark.slow
def test_kill_before_the_pointer_moves_keeps_it_on_a_complete_file(tmp_path):
    kill_at(tmp_path, 'pointer')
    assert is_complete(tmp_path / 'iter_2.pth')
    assert pointer(tmp_path) == 'iter_1.pth'
    assert is_complete(tmp_path / 'iter_1.pth')
    leftovers = [
        n for n in entries(tmp_path)
        if n not in ('iter_1.pth', 'iter_2.pth', 'last_checkpoint')
    ]
    assert [TEMPORARY_NAME.match(n).group('final')
            for n in leftovers] == ['last_checkpoint']


def test_checkpoint_that_does_not_fit_is_refused_with_keys(
        toy_checkpoint, tmp_path):
    runner = build_runner(
        str(tmp_path / 'other'), 1, width=3, load_from=toy_checkpoint)
    with pytest.raises(CheckpointMismatchError) as info:
        runner.load_or_resume()
    message = str(info.value)
    assert toy_checkpoint in message
    assert '1 key(s) shapes that do not fit:\n  linear.weight: (1, 4) in ' \
        'the checkpoint, (1, 3) in the model' in message
    assert '--non-strict' in message


def test_missing_and_unexpected_keys_are_counted(toy_checkpoint, tmp_path):
    checkpoint = torch.load(toy_checkpoint, weights_only=False)
    state = checkpoint['state_dict']
    state['head.weight'] = state.pop('linear.weight')
    for index in range(12):
        state[f'extra.{index}'] = torch.zeros(1)
    path = str(tmp_path / 'renamed.pth')
    torch.save(checkpoint, path)
    runner = build_runner(str(tmp_path / 'test'), 1, load_from=path)
    with pytest.raises(CheckpointMismatchError) as info:
        runner.load_or_resume()
    message = str(info.value)
    assert '1 key(s) missing from the checkpoint:\n  linear.weight' in message
    # 13 unexpected keys: the first 8 listed, then a count of the rest.
    assert '13 key(s) not in the model:\n  extra.0\n' in message
    assert '  ... and 5 more' in message


def test_non_strict_loads_what_fits(toy_checkpoint, tmp_path):
    runner = build_runner(
        str(tmp_path / 'other'), 1, width=3, load_from=toy_checkpoint)
    runner.strict_load = False
    runner.load_or_resume()
    saved = torch.load(toy_checkpoint, weights_only=False)['state_dict']
    assert torch.equal(runner.model.linear.bias, saved['linear.bias'])


@pytest.mark.parametrize('content', [b'not a checkpoint\n', b'PK\x03\x04'])
def test_file_that_is_not_a_checkpoint_is_named(tmp_path, content):
    path = tmp_path / 'weights.pth'
    path.write_bytes(content)
    runner = build_runner(str(tmp_path / 'test'), 1, load_from=str(path))
    with pytest.raises(
            CheckpointMismatchError,
            match=rf'{path} is not a checkpoint torch can read'):
        runner.load_or_resume()


def test_truncated_checkpoint_is_named(toy_checkpoint, tmp_path):
    data = open(toy_checkpoint, 'rb').read()
    path = tmp_path / 'truncated.pth'
    path.write_bytes(data[:len(data) // 2])
    runner = build_runner(str(tmp_path / 'test'), 1, load_from=str(path))
    with pytest.raises(CheckpointMismatchError, match=str(path)):
        runner.load_or_resume()


def test_fine_tuning_load_from_stays_non_strict(toy_checkpoint, tmp_path):
    # Training from weights that lack layers is the SeqFormer recipe.
    runner = build_runner(
        str(tmp_path / 'finetune'), 1, gate=True, load_from=toy_checkpoint)
    runner.train()
    assert osp.isfile(tmp_path / 'finetune' / 'iter_1.pth')
