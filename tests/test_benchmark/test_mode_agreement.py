"""mmseqformer.benchmark.mode_agreement: how well a mode's masks cover
offline's."""
import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmseqformer.benchmark.mode_agreement import agreement_with_offline


def entry(masks, score=1.0) -> dict:
    """A results entry from (T, H, W) masks."""
    segmentations = []
    for mask in masks:
        rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode()
        segmentations.append(rle)
    return dict(
        video_id=1, category_id=1, score=score, segmentations=segmentations)


def test_agreement_with_offline():
    square = np.zeros((2, 8, 8), bool)
    square[:, 0:4, 0:4] = True  # 16 pixels in both frames
    shifted = np.zeros((2, 8, 8), bool)
    shifted[0, 0:4, 2:6] = True  # IoU 8 / 24 in frame 0
    offline = [entry(square), entry(~square, score=0.1)]
    same = agreement_with_offline(offline, [entry(square)], 0.5)
    assert same == dict(mean_iou=1.0, matched=1.0, pairs=2)
    # Frame 0: best of 1/3 and 0; frame 1: no mask at all.
    other = agreement_with_offline(
        offline, [entry(shifted), entry(~square)], 0.5)
    assert other['mean_iou'] == pytest.approx((1 / 3 + 0) / 2)
    assert other['matched'] == 0.0 and other['pairs'] == 2
    # The low-scoring offline entry counts only below its score.
    assert agreement_with_offline(offline, [entry(square)], 0.05)['pairs'] == 4
    assert np.isnan(agreement_with_offline(offline, [], 2.0)['mean_iou'])
