"""tools/demo/video_strip.py: a PNG with a video's frames above the same
frames with the predictions drawn; one ``error:`` line for a mistake."""
import os
import os.path as osp
import runpy
import subprocess
import sys

import cv2
import pytest

from mmseqformer.testing import (REPO_ROOT, TINY_CONFIG, moving_block_video,
                                 run_tool)
from mmseqformer.visualization import upscale_frame

TOOL = osp.join(REPO_ROOT, 'tools', 'demo', 'video_strip.py')
GAP = 4


@pytest.fixture(scope='module')
def frames_folder(tmp_path_factory):
    """8 frames of 96x128 (a block moving over noise) as PNGs: lossless,
    so the strip's top row can be compared exactly."""
    folder = tmp_path_factory.mktemp('frames')
    frames = moving_block_video(8, (96, 128), step=6)
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f'{index:05d}.png'), frame)
    return str(folder), frames


def run_strip(args, monkeypatch):
    """Run the tool in this process; returns the SystemExit message, None
    when it ended normally."""
    monkeypatch.setattr(sys, 'argv', [TOOL] + list(args))
    try:
        runpy.run_path(TOOL, run_name='__main__')
    except SystemExit as exit_:
        return exit_.code
    return None


@pytest.mark.slow
def test_the_strip_shows_the_frames_above_their_predictions(
        checkpoint, frames_folder, tmp_path):
    folder, frames = frames_folder
    out = str(tmp_path / 'strip.png')
    log = run_tool([
        sys.executable, 'tools/demo/video_strip.py', folder, TINY_CONFIG,
        checkpoint, '--out', out, '--frames', '4', '--score-thr', '0',
        '--cfg-options', 'model.track_head.test_cfg.max_per_video=2'
    ])
    assert 'wrote' in log
    strip = cv2.imread(out)
    cell_h, cell_w = 480, 640  # 96x128 upscaled to a shorter side of 480
    assert strip.shape == (2 * cell_h + GAP, 4 * cell_w + 3 * GAP, 3)
    assert (strip[cell_h:cell_h + GAP] == 255).all()
    for column, index in enumerate([0, 2, 5, 7]):  # evenly spaced over 8
        left = column * (cell_w + GAP)
        assert (strip[:, left + cell_w:left + cell_w + GAP] == 255).all() \
            or column == 3
        top = strip[:cell_h, left:left + cell_w]
        bottom = strip[cell_h + GAP:, left:left + cell_w]
        assert (top == upscale_frame(frames[index])).all()
        # Masks are drawn over a good part of each frame.
        assert (top != bottom).any(2).mean() > 0.05
    assert os.listdir(tmp_path) == ['strip.png']  # no temporary left
    # A mistake, as a user sees it: one line, no traceback.
    result = subprocess.run([
        sys.executable, 'tools/demo/video_strip.py',
        str(tmp_path / 'missing.mp4'), TINY_CONFIG, checkpoint, '--out', out
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'error: {tmp_path / "missing.mp4"}: no such video file or folder'
    ]


def test_one_frame_gives_one_column(checkpoint, frames_folder, tmp_path,
                                    monkeypatch):
    out = str(tmp_path / 'one.png')
    assert run_strip([
        frames_folder[0], TINY_CONFIG, checkpoint, '--out', out, '--frames',
        '1'
    ], monkeypatch) is None
    assert cv2.imread(out).shape == (2 * 480 + GAP, 640, 3)
    # --width resizes the whole picture, aspect kept.
    assert run_strip([
        frames_folder[0], TINY_CONFIG, checkpoint, '--out', out, '--frames',
        '1', '--width', '320'
    ], monkeypatch) is None
    assert cv2.imread(out).shape == (round((2 * 480 + GAP) / 2), 320, 3)


def test_mistakes_stop_with_one_error_line(checkpoint, frames_folder, tmp_path,
                                           monkeypatch):
    folder = frames_folder[0]
    out = str(tmp_path / 'strip.png')
    bad_config = tmp_path / 'bad_config.py'
    bad_config.write_text('model = dict(type=\n')
    bad_checkpoint = tmp_path / 'bad.pth'
    bad_checkpoint.write_text('not a checkpoint')
    cases = [
        ([str(tmp_path / 'missing'), TINY_CONFIG, checkpoint, '--out',
          out], 'missing'),
        ([folder,
          str(tmp_path / 'no_config.py'), checkpoint, '--out',
          out], 'no_config.py'),
        ([folder, str(bad_config), checkpoint, '--out', out], 'bad_config.py'),
        ([folder, TINY_CONFIG,
          str(bad_checkpoint), '--out', out], 'bad.pth'),
        ([folder, TINY_CONFIG,
          str(tmp_path / 'none.pth'), '--out', out], 'none.pth'),
        ([folder, TINY_CONFIG, checkpoint, '--out', out, '--frames',
          '0'], '--frames'),
        ([folder, TINY_CONFIG, checkpoint, '--out', out, '--width',
          '0'], '--width'),
        ([
            folder, TINY_CONFIG, checkpoint, '--out',
            str(tmp_path / 'no_folder' / 'strip.png')
        ], 'no_folder'),
        ([
            folder, TINY_CONFIG, checkpoint, '--out',
            str(tmp_path / 'strip.gif')
        ], 'strip.gif'),
    ]
    for args, named in cases:
        message = run_strip(args, monkeypatch)
        assert isinstance(message, str), (args, message)
        assert message.startswith('error: ') and named in message, message
        assert len(message.splitlines()) == 1, message
    assert not osp.exists(out)
    assert not osp.exists(tmp_path / 'no_folder')
