"""Video sources name what they cannot read, and a video file that decodes
fewer frames than it announces warns and is predicted for the frames that
decoded."""
import warnings

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseqformer.apis import (FrameFolderSource, VideoFileSource,
                              inference_vis, init_vis_model)
from mmseqformer.apis.video_source import TruncatedVideoWarning
from mmseqformer.datasets.transforms import FrameFileError
from mmseqformer.testing import moving_block_video

TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'
NUM_FRAMES = 12
#: MP4 boxes that contain other boxes on the way to the chunk offsets.
CONTAINER_BOXES = {b'moov', b'trak', b'mdia', b'minf', b'stbl'}


def _boxes(data, start, end):
    """(type, offset, size) of the MP4 boxes in data[start:end]."""
    while start < end:
        size = int.from_bytes(data[start:start + 4], 'big')
        yield bytes(data[start + 4:start + 8]), start, size
        start += size


def _shift_chunk_offsets(moov, start, end, delta):
    for kind, offset, size in _boxes(moov, start, end):
        if kind in CONTAINER_BOXES:
            _shift_chunk_offsets(moov, offset + 8, offset + size, delta)
        elif kind == b'stco':  # 32-bit chunk offsets into the file
            count = int.from_bytes(moov[offset + 12:offset + 16], 'big')
            for entry in range(offset + 16, offset + 16 + 4 * count, 4):
                value = int.from_bytes(moov[entry:entry + 4], 'big') + delta
                moov[entry:entry + 4] = value.to_bytes(4, 'big')
        elif kind == b'co64':
            raise NotImplementedError('64-bit chunk offsets')


def write_video_with_index_first(path, num_frames=NUM_FRAMES):
    """An mp4 whose index (``moov``) precedes the frame data (``mdat``).

    OpenCV writes the index last, so cutting the end of its file removes
    the index and the file no longer opens. Moved first (what
    ``ffmpeg -movflags faststart`` and streaming encoders do), the index
    survives a cut: the file opens, announces all its frames, and the
    frames whose data was cut do not decode - a truncated download.
    """
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (64, 48))
    for frame in moving_block_video(
            num_frames, (48, 64), step=4, noise_max=80):
        writer.write(frame)
    writer.release()
    with open(path, 'rb') as f:
        data = f.read()
    boxes = {
        kind: (offset, size)
        for kind, offset, size in _boxes(data, 0, len(data))
    }
    assert list(boxes)[-1] == b'moov', list(boxes)
    moov_at, moov_size = boxes[b'moov']
    ftyp_end = sum(boxes[b'ftyp'])
    moov = bytearray(data[moov_at:])
    _shift_chunk_offsets(moov, 0, moov_size, moov_size)
    with open(path, 'wb') as f:
        f.write(data[:ftyp_end] + bytes(moov) + data[ftyp_end:moov_at])
    return path


def decoded_frames(path):
    capture = cv2.VideoCapture(path)
    count = 0
    while capture.read()[0]:
        count += 1
    return count


@pytest.fixture(scope='module')
def truncated_video(tmp_path_factory):
    """(path, announced, decoded): an mp4 with its last frames' data cut."""
    path = str(tmp_path_factory.mktemp('video') / 'cut.mp4')
    write_video_with_index_first(path)
    assert decoded_frames(path) == NUM_FRAMES
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) * 2 // 3])
    capture = cv2.VideoCapture(path)
    # The premise: OpenCV opens the cut file and announces every frame.
    assert capture.isOpened()
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == NUM_FRAMES
    decoded = decoded_frames(path)
    assert 0 < decoded < NUM_FRAMES
    return path, NUM_FRAMES, decoded


def test_truncated_video_warns_with_both_counts(truncated_video):
    path, announced, decoded = truncated_video
    source = VideoFileSource(path)
    assert len(source) == announced  # all that is known before decoding
    with pytest.warns(TruncatedVideoWarning) as record:
        frames = list(source)
    assert len(frames) == decoded
    assert str(record[0].message) == (
        f'{path}: the file announces {announced} frames but only {decoded} '
        f'decoded (truncated or damaged?); only those {decoded} frames are '
        'used')
    assert len(source) == source.decoded_frames == decoded
    assert source.announced_frames == announced


def test_complete_video_does_not_warn(tmp_path):
    source = VideoFileSource(
        write_video_with_index_first(str(tmp_path / 'a.mp4')))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(list(source)) == len(source) == NUM_FRAMES


def test_stopping_early_records_nothing(truncated_video):
    path, announced, _ = truncated_video
    source = VideoFileSource(path)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for _ in zip(range(2), source):
            pass
    assert source.decoded_frames is None and len(source) == announced


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = init_vis_model(Config.fromfile(TINY_CONFIG))
    model.track_head.test_cfg['score_thr'] = 0.0  # keep every pair
    return model


@pytest.mark.parametrize('chunk_size', [None, 2])
def test_prediction_of_a_truncated_video_covers_the_decoded_frames(
        model, truncated_video, chunk_size):
    path, announced, decoded = truncated_video
    with pytest.warns(TruncatedVideoWarning, match=f'only {decoded} decoded'):
        prediction = inference_vis(model, path, chunk_size=chunk_size)
    assert len(prediction.scores) > 0
    assert prediction.num_frames == len(prediction) == decoded
    assert len(prediction.masks) == len(prediction.bboxes) == decoded
    assert prediction.announced_frames == announced
    assert prediction.is_truncated


def test_prediction_of_a_complete_video_is_not_truncated(model, tmp_path):
    path = write_video_with_index_first(str(tmp_path / 'a.mp4'))
    prediction = inference_vis(model, path, chunk_size=4)
    assert prediction.num_frames == NUM_FRAMES
    assert prediction.announced_frames is None
    assert not prediction.is_truncated


def _frame_folder(tmp_path, num_frames=4):
    image = np.full((24, 32, 3), 100, np.uint8)
    paths = []
    for index in range(num_frames):
        paths.append(str(tmp_path / f'{index:05d}.jpg'))
        cv2.imwrite(paths[-1], image)
    return paths


def test_empty_frame_in_a_folder_is_named_with_index_and_path(tmp_path):
    paths = _frame_folder(tmp_path)
    open(paths[2], 'wb').close()
    with pytest.raises(FrameFileError) as info:
        FrameFolderSource(str(tmp_path))
    assert str(
        info.value) == (f'{tmp_path}: frame 2 ({paths[2]}) is empty (0 bytes)')


def test_corrupt_frame_in_a_folder_is_named_when_read(tmp_path):
    paths = _frame_folder(tmp_path)
    with open(paths[1], 'rb') as f:
        header = f.read(20)
    with open(paths[1], 'wb') as f:
        f.write(header + bytes(range(256)) * 4)
    source = FrameFolderSource(str(tmp_path))  # the header is fine
    frames = iter(source)
    next(frames)
    with pytest.raises(FrameFileError) as info:
        next(frames)
    assert str(info.value) == (
        f'{tmp_path}: frame 1 ({paths[1]}) cannot be read or decoded')
