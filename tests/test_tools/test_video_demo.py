"""tools/demo/video_demo.py on real footage, and the pieces it uses."""
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmseqformer.apis import (FrameFolderSource, VideoPrediction,
                              build_video_visualizer, init_vis_model,
                              open_video_source, write_prediction_video)
from mmseqformer.testing import TINY_CONFIG, run_tool


def write_1080p_clip(path: str, num_frames: int = 8) -> None:
    """An mp4 like the shared street clip (8 frames, 1920x1080, 3 fps):
    textured background, shapes that move, so codec and model see real
    structure at the real resolution."""
    rng = np.random.default_rng(0)
    height, width = 1080, 1920
    ramp = np.linspace(40, 200, width, dtype=np.float32)
    background = np.stack([
        np.tile(ramp, (height, 1)),
        np.tile(ramp[::-1], (height, 1)),
        np.full((height, width), 120, np.float32)
    ], 2)
    background += rng.normal(0, 12, (height, width, 3))
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 3,
                             (width, height))
    for index in range(num_frames):
        frame = background.clip(0, 255).astype(np.uint8)
        shift = 60 * index
        cv2.rectangle(frame, (200 + shift, 300), (600 + shift, 900),
                      (30, 30, 220), -1)
        cv2.circle(frame, (1400 - shift, 500), 220, (220, 200, 20), -1)
        cv2.ellipse(frame, (900, 800 - shift // 2), (300, 120), 0, 0, 360,
                    (20, 220, 60), -1)
        writer.write(frame)
    writer.release()


@pytest.fixture(scope='module')
def street(tmp_path_factory):
    """A 1080p clip made here, so the test never depends on shared data."""
    path = str(tmp_path_factory.mktemp('clip') / 'street_8f_1080p.mp4')
    write_1080p_clip(path)
    return path


def read_video(path):
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


@pytest.mark.slow
def test_demo_turns_the_1080p_clip_into_an_mp4_with_coloured_masks(
        checkpoint, street, tmp_path):
    out = str(tmp_path / 'street.mp4')
    log = run_tool([
        sys.executable,
        'tools/demo/video_demo.py',
        street,
        TINY_CONFIG,
        checkpoint,
        '--out',
        out,
        '--score-thr',
        '0',
        '--chunk-size',
        '3',
        # One pair leaves part of the frame uncovered (about a quarter).
        '--cfg-options',
        'model.track_head.test_cfg.max_per_video=1'
    ])
    assert 'wrote' in log and '8/8' in log  # the progress bar finished
    drawn = read_video(out)
    original = read_video(street)
    assert len(drawn) == len(original) == 8
    assert drawn[0].shape == (1080, 1920, 3)
    results = json.load(open(str(tmp_path / 'street.json')))
    assert results and all(
        len(entry['segmentations']) == 8 and entry['video_name'] ==
        'street_8f_1080p' and entry['category_id'] in (1, 2, 3)
        for entry in results)
    for frame in (0, 7):
        masks = mask_util.decode(
            [entry['segmentations'][frame] for entry in results])
        covered = masks.any(2)
        assert 0.01 < covered.mean() < 1.0
        change = np.abs(drawn[frame].astype(int) -
                        original[frame].astype(int)).sum(2)
        # Masks are blended in colour; elsewhere only codec noise, outlines
        # and labels.
        assert np.median(change[covered]) > 30
        assert np.median(change[~covered]) < 15


def test_each_instance_keeps_its_colour_across_frames(checkpoint, tmp_path):
    model = init_vis_model(TINY_CONFIG, checkpoint)
    frames = np.full((3, 40, 60, 3), 40, dtype=np.uint8)
    mask = np.zeros((40, 60), dtype=bool)
    mask[5:30, 10:40] = True
    rle = mask_util.encode(
        np.asfortranarray(mask[..., None].astype(np.uint8)))[0]
    prediction = VideoPrediction(
        scores=np.array([0.9]),
        labels=np.array([1]),
        instance_ids=np.array([4]),
        masks=[[rle]] * 3,
        bboxes=[np.array([[10., 5., 40., 30.]])] * 3,
        frame_size=(40, 60))
    out = str(tmp_path / 'out.mp4')
    written = write_prediction_video(prediction, frames, out,
                                     build_video_visualizer(model))
    drawn = read_video(out)
    assert written == len(drawn) == 3
    colours = [
        frame[144:300, 240:420].reshape(-1, 3).mean(0) for frame in drawn
    ]
    assert np.abs(colours[0] - 40).max() > 20  # coloured
    assert np.abs(colours[0] - colours[2]).max() < 8  # the same colour
    # Below the score threshold nothing is drawn.
    write_prediction_video(
        prediction, frames, out, build_video_visualizer(model), score_thr=0.95)
    assert np.abs(read_video(out)[1].astype(int) - 40).max() < 10


def test_video_sources_read_lazily_in_natural_order(tmp_path):
    for index in (10, 9, 1):
        cv2.imwrite(
            str(tmp_path / f'img{index}.png'),
            np.full((8, 8, 3), index, np.uint8))
    source = open_video_source(str(tmp_path))
    assert isinstance(source, FrameFolderSource)
    assert [int(frame[0, 0, 0]) for frame in source] == [1, 9, 10]
    assert len(source) == 3 and source.name == tmp_path.name
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        open_video_source(str(tmp_path / 'missing.mp4'))
    (tmp_path / 'notes.txt').write_text('x')
    with pytest.raises(ValueError, match='notes.txt'):
        open_video_source(str(tmp_path / 'notes.txt'))
    (tmp_path / 'img11.png').write_text('not a png')
    with pytest.raises(ValueError, match='img11.png'):
        list(open_video_source(str(tmp_path)))
    with pytest.raises(ValueError, match='frame 1'):
        open_video_source([np.zeros((4, 4, 3)), np.zeros((4, 4))])


@pytest.mark.slow
def test_demo_clip_mode_draws_each_frame_once_decided(checkpoint, tmp_path):
    """--mode clips on a small mp4: one drawn frame per input frame, and
    the results file holds one entry per track with a mask list per
    frame."""
    clip = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(clip, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (160, 96))
    for index in range(5):
        frame = np.full((96, 160, 3), 60, np.uint8)
        cv2.rectangle(frame, (10 + 12 * index, 20), (60 + 12 * index, 80),
                      (30, 200, 220), -1)
        writer.write(frame)
    writer.release()
    out = str(tmp_path / 'out.mp4')
    run_tool([
        sys.executable, 'tools/demo/video_demo.py', clip, TINY_CONFIG,
        checkpoint, '--out', out, '--mode', 'clips', '--mode-options',
        'clip_length=2', 'overlap=1', '--score-thr', '0.0'
    ])
    assert len(read_video(out)) == 5
    with open(osp.join(tmp_path, 'out.json')) as f:
        results = json.load(f)
    assert results and all(
        len(entry['segmentations']) == 5 for entry in results)


def test_live_sources_are_read_once_and_named(tmp_path):
    frames = (np.full((8, 8, 3), index, np.uint8) for index in range(3))
    source = open_video_source(frames)
    assert not source.replayable and source.known_length() is None
    assert [int(frame[0, 0, 0]) for frame in source] == [0, 1, 2]
    with pytest.raises(RuntimeError, match='only once'):
        list(source)
    with pytest.raises(TypeError, match='no known length'):
        len(source)
    bad = open_video_source(iter([np.zeros((4, 4, 3)), np.zeros((4, 4))]))
    with pytest.raises(ValueError, match='frame 1'):
        list(bad)
    with pytest.raises(ValueError, match='camera'):
        open_video_source(99)  # no such camera
    with pytest.raises(TypeError, match='camera index'):
        open_video_source(3.5)
