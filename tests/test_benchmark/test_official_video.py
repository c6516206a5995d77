"""mmseqformer.benchmark.official_video: the official input layout, its
grid, and entries paired by class, score and clip IoU."""
import json

import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmseqformer.benchmark.official_video import (clip_iou, official_grid,
                                                  pair_entries,
                                                  write_official_input)


def entry(masks, category_id=1, score=0.5) -> dict:
    rles = [
        mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
        for mask in masks
    ]
    for rle in rles:
        rle['counts'] = rle['counts'].decode()
    return dict(
        video_id=1, category_id=category_id, score=score, segmentations=rles)


def test_official_grid_is_torchvision_resize_360():
    assert official_grid(1080, 1920) == (360, 640)
    assert official_grid(1920, 1080) == (640, 360)
    assert official_grid(360, 500) == (360, 500)


def test_clip_iou_sums_over_the_frames():
    a = np.zeros((2, 4, 4), bool)
    b = np.zeros((2, 4, 4), bool)
    a[0, :2] = True  # 8 pixels
    b[0, :1] = True  # 4 of them
    b[1, 3] = True  # 4 more, only in b
    assert clip_iou(a, b) == pytest.approx(4 / 12)
    assert clip_iou(a[:0], b[:0]) == 1.0


def test_entries_pair_by_class_score_and_mask():
    masks = np.zeros((2, 8, 8), bool)
    masks[:, 2:6, 2:6] = True
    official = [entry(masks, 1, 0.5), entry(masks, 2, 0.4)]
    lines, failures = pair_entries(
        official, [entry(masks, 1, 0.5005),
                   entry(~masks, 3, 0.4)], (8, 8),
        score_atol=2e-3,
        min_iou=0.9)
    assert len(lines) == 2 and lines[0].split()[-1] == '1.0000'
    assert failures == ['entry 1: class', 'entry 1: mask IoU']
    _, failures = pair_entries(official, official[:1], (4, 4), 0, 0.9)
    assert failures == ['1 entries (ours) vs 2']


def test_official_input_layout(tmp_path):
    frames = [np.full((6, 10, 3), value, np.uint8) for value in (0, 200)]
    ann = write_official_input(frames, str(tmp_path))
    with open(ann) as f:
        [video] = json.load(f)['videos']
    assert video == dict(
        id=1,
        length=2,
        file_names=['video/00000.png', 'video/00001.png'],
        height=6,
        width=10)
    assert (tmp_path / 'video' / '00001.png').is_file()
