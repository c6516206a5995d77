"""The synthetic config's training pipeline: shared geometry, per-frame
colour, clip filtering."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmseqformer.datasets import (DropClipWithoutInstances,
                                  YouTubeVISFormatDataset)
from mmseqformer.testing import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs/_base_/datasets/synthetic_vis.py')


def still_video_dataset(root, tmp_path, pipeline):
    """One video whose 6 frames are the same image with the same masks."""
    with open(osp.join(root, 'train.json')) as f:
        content = json.load(f)
    video = max(content['videos'], key=lambda v: v['length'])
    anns = [
        a for a in content['annotations']
        if a['video_id'] == video['id'] and a['segmentations'][0] is not None
    ]
    assert anns, 'the synthetic video should have an instance in frame 0'
    num_frames = 6
    video = dict(
        video,
        file_names=[video['file_names'][0]] * num_frames,
        length=num_frames)
    for key in ('segmentations', 'bboxes', 'areas'):
        for ann in anns:
            ann[key] = [ann[key][0]] * num_frames
    content.update(videos=[video], annotations=anns)
    path = tmp_path / 'still.json'
    path.write_text(json.dumps(content))
    return YouTubeVISFormatDataset(
        data_root=root,
        ann_file=str(path),
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=pipeline)


def train_pipeline(with_colour_jitter):
    pipeline = copy.deepcopy(Config.fromfile(CONFIG).train_pipeline)
    if not with_colour_jitter:
        pipeline = [
            t for t in pipeline if not any(
                inner.get('type') == 'PhotoMetricDistortion'
                for inner in t.get('transforms', []))
        ]
    return pipeline


def test_geometry_is_identical_across_the_frames_of_a_clip(
        synthetic_root, tmp_path):
    dataset = still_video_dataset(synthetic_root, tmp_path,
                                  train_pipeline(with_colour_jitter=False))
    shapes, flips = set(), set()
    np.random.seed(0)
    for draw in range(40):
        item = dataset[(0, draw % 6)]
        frames = item['inputs']  # (T, C, H, W)
        assert frames.shape[0] == 5
        for frame in frames[1:]:
            assert (frame == frames[0]).all()
        samples = item['data_samples']
        masks = [s.gt_instances.masks.to_ndarray() for s in samples]
        for mask in masks[1:]:
            np.testing.assert_array_equal(mask, masks[0])
        assert len({s.flip for s in samples}) == 1
        assert len({s.img_shape for s in samples}) == 1
        shapes.add(samples[0].img_shape)
        flips.add(samples[0].flip)
    # The augmentation really varied between clips.
    assert flips == {True, False} and len(shapes) >= 3


def test_colour_jitter_is_drawn_per_frame(synthetic_root, tmp_path):
    dataset = still_video_dataset(synthetic_root, tmp_path,
                                  train_pipeline(with_colour_jitter=True))
    np.random.seed(0)
    differing = 0
    for draw in range(10):
        frames = dataset[(0, 0)]['inputs'].float()
        differing += int(any((f != frames[0]).any() for f in frames[1:]))
    assert differing >= 8


def _clip(num_boxes_per_frame):
    import torch
    from mmdet.structures.bbox import HorizontalBoxes
    return dict(gt_bboxes=[
        HorizontalBoxes(torch.zeros(n, 4)) for n in num_boxes_per_frame
    ])


@pytest.mark.parametrize('boxes, kept', [([0, 0, 0], False), ([0, 2, 0], True),
                                         ([1, 1, 1], True), ([], False)])
def test_drop_clip_without_instances(boxes, kept):
    results = DropClipWithoutInstances()(_clip(boxes))
    assert (results is not None) == kept
