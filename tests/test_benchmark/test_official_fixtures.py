"""mmseqformer.benchmark.official_fixtures: the official target layout of
a training clip (what the official training step is fed)."""
import pytest
import torch

from mmseqformer.benchmark.official_fixtures import (TINY_ARGS, make_clips,
                                                     official_targets)


def test_targets_are_instance_major_normalised_and_padded():
    clips = make_clips(seed=0)
    num_frames = TINY_ARGS['num_frames']
    # Clip 0: the second instance is absent from frame 1.
    target = official_targets(clips[0])
    height, width = clips[0]['frames'].shape[-2:]
    assert target['labels'].tolist() == [5, 17]
    assert target['size'].tolist() == [height, width]
    boxes = target['boxes'].view(2, num_frames, 4)
    # Absent: the official filler (1e-6 in float32).
    assert boxes[1, 1].tolist() == pytest.approx([1e-6] * 4)
    first = clips[0]['gt'][0]
    x1, y1, x2, y2 = first['bboxes'][0].tolist()
    assert boxes[0, 0].tolist() == pytest.approx([(x1 + x2) / 2 / width,
                                                  (y1 + y2) / 2 / height,
                                                  (x2 - x1) / width,
                                                  (y2 - y1) / height])
    masks = target['masks'].view(2, num_frames, height, width)
    assert masks[1, 1].sum() == 0
    assert torch.equal(masks[0, 0].bool(), first['masks'][0].bool())
    # Clip 1: the second instance appears in frame 1; instances keep the
    # order of their first appearance.
    assert official_targets(clips[1])['labels'].tolist() == [33, 2]
