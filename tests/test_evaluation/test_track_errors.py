"""The track-error breakdown on hand-made videos whose answers are known,
and its video IoU against a brute-force computation."""
import math

import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmseqformer.evaluation.functional import (OBJECT_GROUPS, absences,
                                               centre_steps, track_errors,
                                               video_iou_matrix)

H, W, T = 20, 30, 18


def box_mask(x0, y0, x1, y1):
    mask = np.zeros((H, W), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def rle(mask):
    encoded = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    encoded['counts'] = encoded['counts'].decode()
    return encoded


def track(masks_by_frame, num_frames=T):
    """Segmentations of one track: frame -> bool mask, None elsewhere."""
    return [
        rle(masks_by_frame[t]) if t in masks_by_frame else None
        for t in range(num_frames)
    ]


def ground_truth(objects, num_frames=T):
    """One video; ``objects`` is a list of (category_id, segmentations)."""
    return dict(
        categories=[dict(id=1, name='a'),
                    dict(id=2, name='b')],
        videos=[dict(id=1, height=H, width=W, length=num_frames)],
        annotations=[
            dict(id=index + 1, video_id=1, category_id=cat, segmentations=s)
            for index, (cat, s) in enumerate(objects)
        ])


def entry(segmentations, score=0.9, category_id=1):
    return dict(
        video_id=1,
        category_id=category_id,
        score=score,
        segmentations=segmentations)


OBJECT = box_mask(2, 2, 10, 10)
BEFORE, AFTER = [0, 1, 2], [15, 16, 17]  # absent for 12 frames


def returning_object():
    return ground_truth([(1, track({t: OBJECT for t in BEFORE + AFTER}))])


def test_absences_need_min_gap_frames_between_stretches():
    present = [t in BEFORE + AFTER for t in range(T)]
    assert absences(present, 10) == [(2, 15)]
    assert absences(present, 13) == []
    assert absences([False] * 5, 1) == []


def test_a_return_taken_by_a_new_track_is_a_fragment_and_a_switch():
    results = [
        entry(track({t: OBJECT
                     for t in BEFORE})),
        entry(track({t: OBJECT
                     for t in AFTER}))
    ]
    summary = track_errors(returning_object(), results).summary()
    assert summary['frame_recall'] == 1 and summary['frame_precision'] == 1
    assert summary['fragments'] == 2 and summary['id_switches'] == 1
    # One track covers half the object's frames: video IoU 3 / 6.
    assert summary['best_track_iou'] == pytest.approx(0.5)
    assert summary['linked_iou'] == pytest.approx(1.0)
    assert summary['covered'] == 1 and summary['covered_if_linked'] == 1
    assert (summary['returns'], summary['returns_matched'],
            summary['returns_reidentified']) == (1, 1, 0)
    assert summary['returns_to_other_track'] == 0  # a new track


def test_a_return_taken_by_another_objects_track_is_counted():
    # A second object in frames 5-10; track 1 follows it, then takes the
    # returning object (as a linker continuing the wrong track would).
    other = box_mask(18, 8, 26, 16)
    gt = ground_truth([(1, track({t: OBJECT
                                  for t in BEFORE + AFTER})),
                       (1, track({t: other
                                  for t in range(5, 11)}))])
    results = [
        entry(track({t: OBJECT
                     for t in BEFORE})),
        entry(
            track({
                **{t: other
                   for t in range(5, 11)},
                **{t: OBJECT
                   for t in AFTER}
            }))
    ]
    summary = track_errors(gt, results).summary()
    assert (summary['returns'], summary['returns_matched'],
            summary['returns_reidentified'],
            summary['returns_to_other_track']) == (1, 1, 0, 1)


def test_a_return_kept_by_its_track_is_reidentified():
    results = [entry(track({t: OBJECT for t in BEFORE + AFTER}))]
    summary = track_errors(returning_object(), results).summary()
    assert summary['fragments'] == 1 and summary['id_switches'] == 0
    assert summary['best_track_iou'] == pytest.approx(1.0)
    assert summary['returns_reidentified'] == 1
    assert summary['wrong_class'] == 0
    wrong = [entry(track({t: OBJECT for t in BEFORE + AFTER}), category_id=2)]
    assert track_errors(returning_object(),
                        wrong).summary()['wrong_class'] == 1


def test_missed_objects_and_those_only_a_low_score_track_covers():
    gt = ground_truth([(1, track({t: OBJECT
                                  for t in range(T)})),
                       (2,
                        track({t: box_mask(20, 10, 28, 18)
                               for t in range(T)}))])
    results = [
        entry(track({t: OBJECT
                     for t in range(T)}), score=0.1),
        # A shown track far from both objects: a frame false positive.
        entry(track({t: box_mask(12, 0, 18, 4)
                     for t in range(T)}))
    ]
    summary = track_errors(gt, results, score_thr=0.3).summary()
    assert summary['objects'] == 2
    assert summary['missed'] == 2 and summary['below_thr'] == 1
    assert summary['frame_recall'] == 0 and summary['frame_precision'] == 0
    assert math.isnan(summary['fragments'])
    # Shown at score_thr 0.05: the first object is found, every frame.
    low = track_errors(gt, results, score_thr=0.05).summary()
    assert low['missed'] == 1 and low['frame_recall'] == 0.5


def test_one_query_listed_with_two_classes_is_one_shown_track():
    masks = track({t: OBJECT for t in range(T)})
    gt = ground_truth([(1, masks)])
    results = [entry(masks, score=0.8), entry(masks, score=0.6, category_id=2)]
    summary = track_errors(gt, results).summary()
    assert summary['frame_precision'] == 1 and summary['fragments'] == 1


def test_frame_matches_need_the_iou_threshold():
    gt = ground_truth([(1, track({0: box_mask(0, 0, 10, 10)}, 1))], 1)
    # IoU 50 / 150 = 1/3.
    results = [entry(track({0: box_mask(5, 0, 15, 10)}, 1))]
    assert track_errors(gt, results).summary()['frame_recall'] == 0
    assert track_errors(
        gt, results, iou_thr=0.3).summary()['frame_recall'] == 1


def test_video_iou_equals_pooled_pixel_counts():
    rng = np.random.default_rng(0)
    preds, trues = [], []
    for tracks in (preds, trues):
        for _ in range(3):
            masks = {
                t: rng.random((H, W)) < 0.3
                for t in range(T) if rng.random() < 0.7
            }
            tracks.append((masks, track(masks)))
    ious = video_iou_matrix([s for _, s in preds], [s for _, s in trues], T)
    for p, (pred, _) in enumerate(preds):
        for g, (true, _) in enumerate(trues):
            empty = np.zeros((H, W), dtype=bool)
            inter = union = 0
            for t in range(T):
                a, b = pred.get(t, empty), true.get(t, empty)
                inter += (a & b).sum()
                union += (a | b).sum()
            assert ious[p, g] == pytest.approx(inter / union, abs=1e-12)


def test_object_groups_count_their_objects_against_the_same_matches():
    # One object in every frame, found whole; one that enters at frame 6,
    # split over three tracks; and a shown track on nothing.
    staying = {t: OBJECT for t in range(T)}
    entering = {t: box_mask(20, 10, 28, 18) for t in range(6, T)}
    gt = ground_truth([(1, track(staying)), (2, track(entering))])
    results = [
        entry(track(staying)),
        *(entry(
            track({t: entering[t]
                   for t in range(first, first + 4)}),
            category_id=2) for first in (6, 10, 14)),
        entry(track({t: box_mask(12, 0, 18, 4)
                     for t in range(T)})),
    ]
    groups = {
        group: track_errors(gt, results, objects=group).summary()
        for group in OBJECT_GROUPS
    }
    assert {g: s['objects']
            for g, s in groups.items()} == {
                'all': 2,
                'always-present': 1,
                'partly-present': 1,
                'fast-moving': 0,
                'slow-moving': 2
            }
    always, partly = groups['always-present'], groups['partly-present']
    assert always['covered'] == 1 and always['fragments'] == 1
    assert partly['covered'] == 0 and partly['covered_if_linked'] == 1
    assert partly['fragments'] == 3 and partly['id_switches'] == 2
    assert partly['best_track_iou'] == pytest.approx(4 / 12)
    assert always['frame_recall'] == partly['frame_recall'] == 1
    # Precision is over every object's matches: 18 + 12 of 48 shown masks.
    for summary in groups.values():
        assert summary['frame_precision'] == pytest.approx(30 / 48)
    assert groups['all']['covered'] == 0.5
    with pytest.raises(ValueError, match='objects must be one of'):
        track_errors(gt, results, objects='moving')


def test_centre_steps_skip_absences_and_fast_objects_are_grouped():
    # Box centres (x, y) in pixels: frames 0, 1 and 3 (absent in 2).
    boxes = {0: (2, 2, 8, 6), 1: (6, 4, 12, 8), 3: (20, 10, 26, 14)}
    segms = track({t: box_mask(*box) for t, box in boxes.items()})
    # One step (0 -> 1): 4 px right of 30, 2 px down of 20.
    assert centre_steps(segms) == pytest.approx([math.hypot(4 / W, 2 / H)])
    assert len(centre_steps(track({5: OBJECT}))) == 0
    # A box moving 1 px a frame (1/30 of the width) is slow; 4 px is fast.
    slow = track({t: box_mask(t, 2, t + 6, 8) for t in range(T)})
    fast = track({t: box_mask(4 * t, 2, 4 * t + 6, 8) for t in range(6)})
    gt = ground_truth([(1, slow), (2, fast)])
    results = [entry(slow)]
    groups = {
        group: track_errors(gt, results, objects=group).summary()
        for group in ('fast-moving', 'slow-moving')
    }
    assert groups['slow-moving']['objects'] == 1
    assert groups['slow-moving']['covered'] == 1
    assert groups['fast-moving']['objects'] == 1
    assert groups['fast-moving']['missed'] == 1
    counts = {
        group: track_errors(gt, results, objects=group).summary()['objects']
        for group in ('always-present+slow-moving',
                      'always-present+fast-moving',
                      'partly-present+fast-moving')
    }
    assert list(counts.values()) == [1, 0, 1]
    with pytest.raises(ValueError, match="joined by '\\+'"):
        track_errors(gt, results, objects='fast-moving+moving')
