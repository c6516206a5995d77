"""The long synthetic split: objects leave the view and come back; it loads
like the other splits and leaves their files as they are."""
import hashlib
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmseqformer.datasets import YouTubeVISFormatDataset
from mmseqformer.datasets.synthetic import (LONG_SPLIT, LongSyntheticVISSpec,
                                            make_long_videos,
                                            make_synthetic_vis)
from mmseqformer.datasets.synthetic.long_videos import swinging_shape
from tests.conftest import SMALL_SPEC

SPEC = LongSyntheticVISSpec(seed=1, num_videos=3, num_frames=24, max_objects=3)


@pytest.fixture(scope='module')
def long_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('long') / 'synthetic_vis')
    make_long_videos(root, SPEC)
    return root


def leaves_and_returns(present) -> bool:
    """Absent from some frame between two frames where it is present."""
    present = list(present)
    if True not in present:
        return False
    first = present.index(True)
    last = len(present) - 1 - present[::-1].index(True)
    return not all(present[first:last + 1])


def test_returning_shapes_leave_the_frame_entirely_and_come_back():
    rng = np.random.default_rng(0)
    height, width, num_frames = 96, 128, 24
    for _ in range(20):
        shape = swinging_shape(rng, height, width, num_frames, returns=True)
        inside = []
        for frame_id in range(num_frames):
            x, y = shape.polygon(frame_id).T
            # Outside: every outline point beyond one border.
            inside.append(not (x.min() >= width or x.max() < 0
                               or y.min() >= height or y.max() < 0))
        assert leaves_and_returns(inside), inside


def test_wandering_shapes_stay_in_view():
    rng = np.random.default_rng(0)
    for _ in range(20):
        shape = swinging_shape(rng, 96, 128, 24, returns=False)
        for frame_id in range(24):
            x, y = shape.position(frame_id)
            assert 0 <= x < 128 and 0 <= y < 96


def test_every_video_has_an_instance_that_leaves_and_returns(long_root):
    with open(osp.join(long_root, f'{LONG_SPLIT}.json')) as f:
        content = json.load(f)
    assert len(content['videos']) == SPEC.num_videos
    for video in content['videos']:
        assert video['length'] == SPEC.num_frames
        tracks = [[segm is not None for segm in ann['segmentations']]
                  for ann in content['annotations']
                  if ann['video_id'] == video['id']]
        assert any(leaves_and_returns(track) for track in tracks), video


@pytest.mark.parametrize(
    'ann_file',
    [f'{LONG_SPLIT}.json', f'annotations/synthetic_vis_{LONG_SPLIT}.json'])
def test_the_split_loads_with_the_dataset(long_root, ann_file):
    dataset = YouTubeVISFormatDataset(
        data_root=long_root,
        ann_file=ann_file,
        data_prefix=dict(img_path=f'{LONG_SPLIT}/JPEGImages'),
        test_mode=True,
        pipeline=[])
    assert len(dataset) == SPEC.num_videos
    with open(osp.join(long_root, f'{LONG_SPLIT}.json')) as f:
        content = json.load(f)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert info['video_length'] == SPEC.num_frames
        assert osp.isfile(info['images'][-1]['img_path'])
        # Every annotated (instance, frame) pair is in the dataset.
        video_id = info['video_id']
        expected = sum(segm is not None for ann in content['annotations']
                       if ann['video_id'] == video_id
                       for segm in ann['segmentations'])
        assert sum(len(image['instances'])
                   for image in info['images']) == expected


def file_hashes(root: str) -> dict:
    hashes = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                hashes[osp.relpath(path,
                                   root)] = hashlib.md5(f.read()).hexdigest()
    return hashes


def test_adding_the_split_keeps_the_other_files(synthetic_root, tmp_path):
    root = str(tmp_path / 'synthetic_vis')
    shutil.copytree(synthetic_root, root)
    before = file_hashes(root)
    manifest = make_long_videos(root, SPEC)
    after = file_hashes(root)
    assert {path: after[path] for path in before} == before
    assert set(after) - set(before) >= {
        f'{LONG_SPLIT}.json', f'manifest_{LONG_SPLIT}.json',
        f'annotations/synthetic_vis_{LONG_SPLIT}.json'
    }
    assert not [name for name in os.listdir(root) if name.startswith('.')]
    # The dataset is still recognised, and the same split is kept.
    make_synthetic_vis(root, SMALL_SPEC)
    assert make_long_videos(root, SPEC) == manifest
    assert file_hashes(root) == after


def test_another_spec_needs_force(long_root, tmp_path):
    root = str(tmp_path / 'synthetic_vis')
    shutil.copytree(long_root, root)
    other = LongSyntheticVISSpec(
        seed=2, num_videos=1, num_frames=3, max_objects=1)
    with pytest.raises(FileExistsError, match=f'manifest_{LONG_SPLIT}'):
        make_long_videos(root, other)
    manifest = make_long_videos(root, other, force=True)
    assert manifest['splits'][LONG_SPLIT]['videos'] == 1
    assert len(os.listdir(osp.join(root, LONG_SPLIT, 'JPEGImages'))) == 1
    # A split without its manifest (an interrupted run) is not replaced
    # silently.
    os.remove(osp.join(root, f'manifest_{LONG_SPLIT}.json'))
    with pytest.raises(FileExistsError, match='interrupted'):
        make_long_videos(root, other)


def test_named_splits_sit_beside_each_other(long_root, tmp_path):
    root = str(tmp_path / 'synthetic_vis')
    shutil.copytree(long_root, root)
    before = file_hashes(root)
    other_seed = LongSyntheticVISSpec(
        seed=2, num_videos=2, num_frames=5, max_objects=2)
    manifest = make_long_videos(root, other_seed, split='train_long')
    assert manifest['splits']['train_long']['videos'] == 2
    after = file_hashes(root)
    assert {path: after[path] for path in before} == before
    with open(osp.join(root, 'train_long.json')) as f:
        videos = json.load(f)['videos']
    assert [video['file_names'][0] for video in videos
            ] == ['train_long_000/00000.jpg', 'train_long_001/00000.jpg']
    assert sorted(os.listdir(osp.join(root, 'train_long', 'JPEGImages'))) \
        == ['train_long_000', 'train_long_001']
    # The same spec under two names: the same frames.
    make_long_videos(root, SPEC, split='copy_long')
    first = file_hashes(osp.join(root, LONG_SPLIT, 'JPEGImages'))
    copy = file_hashes(osp.join(root, 'copy_long', 'JPEGImages'))
    assert sorted(first.values()) == sorted(copy.values())
    with pytest.raises(ValueError, match="got '../x'"):
        make_long_videos(root, SPEC, split='../x')
