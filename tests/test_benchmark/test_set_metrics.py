"""mmseqformer.benchmark.set_metrics: AP of results entries on both
annotation layouts."""
import json
import os.path as osp

import pytest

from mmseqformer.benchmark.set_metrics import youtube_vis_ap


def ground_truth_entries(official: dict, score: float = 1.0) -> list:
    return [
        dict(
            video_id=ann['video_id'],
            category_id=ann['category_id'],
            score=score,
            segmentations=ann['segmentations'])
        for ann in official['annotations']
    ]


def test_ap_of_both_layouts(synthetic_root):
    official_file = osp.join(synthetic_root, 'valid.json')
    cocovid_file = osp.join(synthetic_root,
                            'annotations/synthetic_vis_valid.json')
    with open(official_file) as f:
        entries = ground_truth_entries(json.load(f))
    for ann_file in (official_file, cocovid_file):
        # AR1 < 1: one track per video cannot find every instance.
        perfect = youtube_vis_ap(ann_file, entries)
        assert perfect == pytest.approx(
            dict(AP=1, AP50=1, AP75=1, AR1=perfect['AR1'], AR10=1), abs=1e-6)
        assert perfect['AR1'] < 1
    # Half of the tracks, with a wrong class for one of them: AP < 1, the
    # same from both layouts.
    half = entries[::2]
    half[0] = dict(
        half[0], category_id=9 if half[0]['category_id'] != 9 else 2)
    official_ap = youtube_vis_ap(official_file, half)
    assert 0 < official_ap['AP'] < 1
    assert youtube_vis_ap(cocovid_file, half) == pytest.approx(official_ap)
    assert youtube_vis_ap(official_file, []) == dict(
        AP=0.0, AP50=0.0, AP75=0.0, AR1=0.0, AR10=0.0)
