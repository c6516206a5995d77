"""Frame files that cannot be read are named: cheaply at dataset build
(size, header), and with video, frame and path when they fail to decode."""
import json
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmseqformer.datasets import YouTubeVISFormatDataset
from mmseqformer.datasets.transforms import (FrameFileError,
                                             LoadVideoFrameFromFile,
                                             check_frame_file)
from mmseqformer.testing import REPO_ROOT

SYNTHETIC_CONFIG = osp.join(REPO_ROOT,
                            'configs/_base_/datasets/synthetic_vis.py')


def jpeg_bytes(height=24, width=32):
    image = np.random.default_rng(0).integers(
        0, 255, (height, width, 3), dtype=np.uint8)
    return cv2.imencode('.jpg', image)[1].tobytes()


def corrupt_jpeg_bytes():
    """A valid JPEG header followed by data that does not decode."""
    return jpeg_bytes()[:20] + bytes(range(256)) * 4


def write(path, content):
    with open(path, 'wb') as f:
        f.write(content)
    return str(path)


def test_check_frame_file_reads_size_and_header_only(tmp_path):
    png = cv2.imencode('.png', np.zeros((4, 4, 3), np.uint8))[1].tobytes()
    assert check_frame_file(write(tmp_path / 'a.jpg', jpeg_bytes())) is None
    assert check_frame_file(write(tmp_path / 'a.png', png)) is None
    # A PNG named .jpg is still an image: the header decides.
    assert check_frame_file(write(tmp_path / 'b.jpg', png)) is None
    assert check_frame_file(write(tmp_path / 'zero.jpg',
                                  b'')) == 'is empty (0 bytes)'
    page = write(tmp_path / 'page.jpg', b'<html>404</html>')
    assert check_frame_file(page) == (
        "is not an image OpenCV can decode (16 bytes starting with "
        "b'<html>40')")
    assert check_frame_file(str(tmp_path / 'nothere.jpg')) == \
        'does not exist'
    assert check_frame_file(str(tmp_path)) == 'is not a file'
    # Corrupt data behind a valid header passes; decoding finds it.
    corrupt = write(tmp_path / 'corrupt.jpg', corrupt_jpeg_bytes())
    assert check_frame_file(corrupt) is None
    assert cv2.imread(corrupt) is None


def frame_results(path):
    return dict(img_path=path, video_id=7, frame_id=3, img_id=12)


def test_loader_loads_like_mmcv(tmp_path):
    path = write(tmp_path / 'a.jpg', jpeg_bytes(24, 32))
    results = LoadVideoFrameFromFile()(frame_results(path))
    assert results['img'].shape == (24, 32, 3)
    assert results['img_shape'] == results['ori_shape'] == (24, 32)


@pytest.mark.parametrize('content, problem', [
    (corrupt_jpeg_bytes(), 'cannot be read or decoded'),
    (b'', 'is empty (0 bytes)'),
])
def test_decode_error_names_video_frame_and_path(tmp_path, content, problem):
    path = write(tmp_path / 'bad.jpg', content)
    with pytest.raises(FrameFileError) as info:
        LoadVideoFrameFromFile()(frame_results(path))
    assert str(info.value).startswith(f'video 7 frame 3 ({path}): {problem} ')
    # mmcv's own error (an OpenCV assertion, "failed to load image") stays
    # chained for the details.
    assert info.value.__cause__ is not None


def test_image_without_video_is_named_by_image_id(tmp_path):
    path = write(tmp_path / 'bad.jpg', corrupt_jpeg_bytes())
    with pytest.raises(FrameFileError, match=re.escape(f'image 5 ({path})')):
        LoadVideoFrameFromFile()(dict(img_path=path, img_id=5))


def _with_frame_loader(step):
    """A config pipeline with LoadVideoFrameFromFile for LoadImageFromFile
    (a no-op once the configs use it)."""
    if isinstance(step, list):
        return [_with_frame_loader(item) for item in step]
    if not isinstance(step, dict):
        return step
    step = {key: _with_frame_loader(value) for key, value in step.items()}
    if step.get('type') == 'LoadImageFromFile':
        step['type'] = 'LoadVideoFrameFromFile'
    return step


@pytest.mark.parametrize('split', ['train', 'test'])
def test_corrupt_frame_is_named_in_the_config_pipelines(
        synthetic_root, tmp_path, split):
    root = str(tmp_path / 'copy')
    shutil.copytree(synthetic_root, root)
    with open(osp.join(root, 'train.json')) as f:
        content = json.load(f)
    # One video, every frame corrupt behind a valid header: the dataset
    # builds (the header check passes), loading a clip fails.
    video = max(content['videos'], key=lambda v: len(v['file_names']))
    content['videos'] = [video]
    content['annotations'] = [
        ann for ann in content['annotations'] if ann['video_id'] == video['id']
    ]
    for name in video['file_names']:
        write(osp.join(root, 'train/JPEGImages', name), corrupt_jpeg_bytes())
    ann_file = write(tmp_path / 'one_video.json', json.dumps(content).encode())
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    pipeline = cfg.train_pipeline if split == 'train' else cfg.test_pipeline
    dataset = YouTubeVISFormatDataset(
        data_root=root,
        ann_file=ann_file,
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=_with_frame_loader(pipeline),
        test_mode=split == 'test')
    with pytest.raises(FrameFileError) as info:
        dataset[0]
    found = re.match(r'video (\d+) frame (\d+) \((.+?)\): cannot be read',
                     str(info.value))
    assert found, str(info.value)
    frame = int(found[2])
    assert int(found[1]) == video['id']
    assert found[3] == osp.join(root, 'train/JPEGImages',
                                video['file_names'][frame])
