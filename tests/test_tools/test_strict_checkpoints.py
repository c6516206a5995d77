"""A checkpoint that does not fit the model stops every user path, names
the keys, and leaves nothing written; ``--non-strict`` opts out."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseqformer.apis import init_vis_model
from mmseqformer.testing import REPO_ROOT, run_tool
from mmseqformer.utils import CheckpointMismatchError

CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'
RENAMED = 'track_head.query_embedding.weight'


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """The tiny model's own checkpoint, the same with one key renamed, and
    a text file."""
    folder = tmp_path_factory.mktemp('checkpoints')
    torch.manual_seed(0)
    model = init_vis_model(
        Config.fromfile(osp.join(REPO_ROOT, CONFIG)), fold_bn=False)
    state = model.state_dict()
    assert RENAMED in state
    torch.save(dict(state_dict=state), folder / 'fits.pth')
    state['track_head.query_embed.weight'] = state.pop(RENAMED)
    torch.save(dict(state_dict=state), folder / 'renamed.pth')
    (folder / 'notes.pth').write_text('not a checkpoint\n')
    return {
        name: str(folder / f'{name}.pth')
        for name in ('fits', 'renamed', 'notes')
    }


def run_failing(command):
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode != 0, result.stdout[-2000:]
    return result.stderr


def tool_command(root, checkpoint, tmp_path, *extra):
    return [
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--format-only',
        '--out-dir',
        str(tmp_path / 'submission'), '--work-dir',
        str(tmp_path / 'work'), *extra, '--cfg-options',
        f'test_dataloader.dataset.data_root={root}/'
    ]


@pytest.mark.slow
def test_test_tool_refuses_a_misfit_and_writes_nothing(checkpoints,
                                                       synthetic_root,
                                                       tmp_path):
    error = run_failing(
        tool_command(synthetic_root, checkpoints['renamed'], tmp_path))
    assert checkpoints['renamed'] in error
    assert f'1 key(s) missing from the checkpoint:\n  {RENAMED}' in error
    assert '1 key(s) not in the model:\n  track_head.query_embed.weight' \
        in error
    assert '--non-strict' in error
    assert 'Traceback' not in error
    assert os.listdir(tmp_path) == []  # no work dir, no submission


@pytest.mark.slow
def test_test_tool_names_a_file_that_is_not_a_checkpoint(
        checkpoints, synthetic_root, tmp_path):
    error = run_failing(
        tool_command(synthetic_root, checkpoints['notes'], tmp_path))
    assert f'{checkpoints["notes"]} is not a checkpoint' in error
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_test_tool_non_strict_loads_what_fits(checkpoints, synthetic_root,
                                              tmp_path):
    run_tool(
        tool_command(synthetic_root, checkpoints['renamed'], tmp_path,
                     '--non-strict'))
    assert (tmp_path / 'submission' / 'results.submission_file.zip').is_file()


@pytest.mark.slow
def test_demo_refuses_a_misfit_and_writes_nothing(checkpoints, tmp_path):
    frames = tmp_path / 'frames'
    frames.mkdir()
    for index in range(2):
        cv2.imwrite(
            str(frames / f'{index:05d}.jpg'),
            np.full((48, 64, 3), 100 + index, np.uint8))
    out = tmp_path / 'out'
    error = run_failing([
        sys.executable, 'tools/demo/video_demo.py',
        str(frames), CONFIG, checkpoints['renamed'], '--out',
        str(out / 'demo.mp4')
    ])
    assert RENAMED in error and 'Traceback' not in error
    assert not out.exists()


def test_init_vis_model_is_strict_by_default(checkpoints):
    config = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    with pytest.raises(CheckpointMismatchError, match=RENAMED):
        init_vis_model(config, checkpoints['renamed'])
    with pytest.raises(
            CheckpointMismatchError,
            match=f'{checkpoints["notes"]} is not a checkpoint'):
        init_vis_model(config, checkpoints['notes'])
    saved = torch.load(checkpoints['fits'], weights_only=False)['state_dict']
    model = init_vis_model(config, checkpoints['fits'])
    assert torch.equal(model.state_dict()[RENAMED], saved[RENAMED])
    # strict=False loads the keys that fit, as mmengine does.
    model = init_vis_model(config, checkpoints['renamed'], strict=False)
    assert torch.equal(model.state_dict()['level_embed'], saved['level_embed'])
