"""Where predicted tracks lose against the ground truth: per-frame
detection, linking, scoring and class, and objects that come back.

YouTube-VIS AP counts a ground-truth object as found when one predicted
track covers it over the whole video (video mask IoU: intersections summed
over frames divided by unions summed over frames) with the right class and
a high enough score. A mode can fail that in separate ways, and this
breakdown measures each from a results file (so any mode, or another code,
can be analysed the same way):

- **detection**: in each frame, does a shown mask match the object?
  (``frame_recall``, ``frame_precision``)
- **linking**: are those per-frame matches one track? (``fragments`` per
  object, ``id_switches``; ``best_track_iou`` is the video IoU of the best
  single track, ``linked_iou`` what perfect linking of the same per-frame
  matches would reach; ``covered`` / ``covered_if_linked`` the share of
  objects at video IoU >= ``iou_thr`` each way). With a low ``score_thr``
  two near-duplicate tracks on one object can take turns as its frame
  match, which counts as fragments and switches though either track alone
  covers it; ``covered`` is not fooled by that.
- **scoring**: objects that no shown track matches in any frame
  (``missed``), and of those the ones a track scoring below the threshold
  would have covered (``below_thr``)
- **class**: covered objects whose best track has another class
  (``wrong_class``)
- **returns**: an object absent for at least ``min_gap`` frames that comes
  back (``returns``): is it matched, after the gap, by the track that
  matched it before (``returns_reidentified``)? ``returns_matched`` counts
  the returns matched on both sides; ``returns_to_other_track`` those of
  them first matched after the gap by a track that had matched another
  object before (a track carried over from another object, where a
  linker continued or re-identified the wrong track, rather than a new
  one).

Definitions: the *shown tracks* are the hard decisions of the identity
metrics (:func:`.select_hard_decisions`: score >= ``score_thr``, one class
per mask sequence). In each frame, ground-truth masks and shown masks are
matched one to one by Hungarian matching on mask IoU, keeping pairs with
IoU >= ``iou_thr`` (CLEAR-MOT's rule); these are the *frame matches*. An
ID switch is a change of the matched track between two consecutive matched
frames of one object. Video IoU pools the frames: for track ``p`` and
object ``g``, ``sum_t inter / (area_p + area_g - sum_t inter)``.

The breakdown can count one group of objects (``objects=``, see
:data:`OBJECT_GROUPS`): those present in every frame of their video, or
those that enter, leave or come back; those that move at least
:data:`FAST_STEP` of the frame between two consecutive frames, or the
others. Every object still takes part in the frame matches, so a group's
columns are what the same results score on those objects, and
``frame_precision`` stays the share of all shown masks that match some
object.

Shape legend: ``P`` entries of a video, ``G`` objects of a video, ``T``
frames.
"""
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from typing import Callable, Dict, List, Sequence

import numpy as np
import pycocotools.mask as mask_util
from scipy.optimize import linear_sum_assignment

from .identity_inputs import (DEFAULT_SCORE_THR, check_ground_truth,
                              check_results, decision_indices)


@dataclass
class TrackErrors:
    """Counts over a set of videos (see the module docstring).

    Attributes:
        objects (int): Ground-truth tracks with a mask in some frame.
        gt_masks (int): Ground-truth (frame, object) masks.
        shown_masks (int): Non-empty (frame, shown track) masks.
        matched_masks (int): Frame matches of the counted objects.
        matched_shown_masks (int): Frame matches of any object (all
            objects take part in the matching, counted or not).
        best_track_iou_sum (float): Summed over objects, the best video
            IoU of one shown track.
        linked_iou_sum (float): Summed over objects, the video IoU of
            their frame matches pooled.
        covered (int): Objects whose best shown track reaches
            ``iou_thr`` video IoU.
        covered_if_linked (int): Objects whose pooled frame matches reach
            it.
        matched_objects (int): Objects with at least one frame match.
        fragment_sum (int): Summed over those, the distinct tracks that
            match them.
        id_switches (int): Changes of the matched track between
            consecutive matched frames of an object.
        missed (int): Objects without any frame match.
        below_thr (int): Missed objects that a track scoring below
            ``score_thr`` covers (video IoU >= ``iou_thr``).
        wrong_class (int): Covered objects whose best shown track has
            another class.
        returns (int): Absences of >= ``min_gap`` frames between two
            stretches where an object is present.
        returns_matched (int): Returns matched in the last frame matched
            before the absence and in some frame after it.
        returns_reidentified (int): Of those, the returns matched by the
            same track on both sides.
        returns_to_other_track (int): Of the matched returns that are not
            re-identified, those first matched after the absence by a
            track that matched another object before it.
    """
    objects: int = 0
    gt_masks: int = 0
    shown_masks: int = 0
    matched_masks: int = 0
    matched_shown_masks: int = 0
    best_track_iou_sum: float = 0.0
    linked_iou_sum: float = 0.0
    covered: int = 0
    covered_if_linked: int = 0
    matched_objects: int = 0
    fragment_sum: int = 0
    id_switches: int = 0
    missed: int = 0
    below_thr: int = 0
    wrong_class: int = 0
    returns: int = 0
    returns_matched: int = 0
    returns_reidentified: int = 0
    returns_to_other_track: int = 0

    def __iadd__(self, other: 'TrackErrors') -> 'TrackErrors':
        for field in fields(self):
            setattr(self, field.name,
                    getattr(self, field.name) + getattr(other, field.name))
        return self

    def summary(self) -> Dict[str, float]:
        """The rates of the module docstring, then the counts."""

        def ratio(num: float, den: float) -> float:
            return num / den if den else float('nan')

        return dict(
            frame_recall=ratio(self.matched_masks, self.gt_masks),
            frame_precision=ratio(self.matched_shown_masks, self.shown_masks),
            best_track_iou=ratio(self.best_track_iou_sum, self.objects),
            linked_iou=ratio(self.linked_iou_sum, self.objects),
            covered=ratio(self.covered, self.objects),
            covered_if_linked=ratio(self.covered_if_linked, self.objects),
            fragments=ratio(self.fragment_sum, self.matched_objects),
            **{
                key: value
                for key, value in asdict(self).items()
                if key in ('objects', 'id_switches', 'missed', 'below_thr',
                           'wrong_class', 'returns', 'returns_matched',
                           'returns_reidentified', 'returns_to_other_track')
            })


#: A step of at least this length (box centre to box centre between two
#: consecutive frames where the object is present, as a fraction of the
#: frame: ``hypot(dx / W, dy / H)``) makes an object fast-moving.
FAST_STEP = 0.1

#: Groups of ground-truth objects a breakdown can count, by the frames of
#: its video where the object is present ((T, ) bool) and its steps
#: ((S, ) float, :func:`centre_steps`) -> counted.
OBJECT_GROUPS: Dict[str, Callable[[np.ndarray, np.ndarray], bool]] = {
    'all': lambda present, steps: True,
    'always-present': lambda present, steps: bool(present.all()),
    'partly-present': lambda present, steps: not present.all(),
    'fast-moving': lambda present, steps: bool((steps >= FAST_STEP).any()),
    'slow-moving': lambda present, steps: not (steps >= FAST_STEP).any(),
}


def object_group(name: str) -> Callable[[np.ndarray, np.ndarray], bool]:
    """The test of a group of :data:`OBJECT_GROUPS`, or of the objects in
    all of several joined by ``+`` (``'partly-present+fast-moving'``)."""
    names = name.split('+')
    unknown = [part for part in names if part not in OBJECT_GROUPS]
    if unknown:
        raise ValueError(f'objects must be one of {sorted(OBJECT_GROUPS)} '
                         f"or several joined by '+', got {name!r}")
    tests = [OBJECT_GROUPS[part] for part in names]
    return lambda present, steps: all(test(present, steps) for test in tests)


def centre_steps(segmentations: List[dict]) -> np.ndarray:
    """(S, ) how far a track's box centre moves, as a fraction of the
    frame (``hypot(dx / W, dy / H)``), in each of its S steps: pairs of
    consecutive frames where it is present (a step across an absence is
    not one)."""
    centres = {}
    for frame, segm in enumerate(segmentations):
        if segm is not None and mask_util.area(segm) > 0:
            x, y, w, h = mask_util.toBbox(segm)
            height, width = segm['size']
            centres[frame] = np.array([(x + w / 2) / width,
                                       (y + h / 2) / height])
    return np.array([
        float(np.hypot(*(centres[frame + 1] - centres[frame])))
        for frame in centres if frame + 1 in centres
    ])


def absences(present: Sequence[bool], min_gap: int) -> List[tuple]:
    """``(last_before, first_after)`` frame pairs around each absence of at
    least ``min_gap`` frames between two present stretches."""
    frames = np.flatnonzero(np.asarray(present, dtype=bool))
    gaps = np.flatnonzero(np.diff(frames) > min_gap)
    return [(int(frames[i]), int(frames[i + 1])) for i in gaps]


@dataclass
class FrameOverlaps:
    """Mask overlaps of one frame.

    Attributes:
        ious (np.ndarray): (P, G) mask IoUs.
        inters (np.ndarray): (P, G) intersection areas.
        pred_areas (np.ndarray): (P, ) areas (0 where absent).
        true_areas (np.ndarray): (G, ) areas.
    """
    ious: np.ndarray
    inters: np.ndarray
    pred_areas: np.ndarray
    true_areas: np.ndarray


def frame_overlaps(pred_segms: List[list], true_segms: List[list],
                   frame: int) -> FrameOverlaps:
    """Overlaps of two lists of tracks (per-frame compressed RLE or None)
    in one frame."""
    areas = [
        np.array([
            0.0 if segms[frame] is None else float(
                mask_util.area(segms[frame])) for segms in tracks
        ]) for tracks in (pred_segms, true_segms)
    ]
    ious = np.zeros((len(pred_segms), len(true_segms)))
    pred = np.flatnonzero(areas[0] > 0)
    true = np.flatnonzero(areas[1] > 0)
    if len(pred) and len(true):
        ious[np.ix_(pred, true)] = mask_util.iou(
            [pred_segms[i][frame] for i in pred],
            [true_segms[j][frame] for j in true], [0] * len(true))
    # IoU = I / (A + B - I)  <=>  I = IoU (A + B) / (1 + IoU).
    inters = ious * (areas[0][:, None] + areas[1][None]) / (1 + ious)
    return FrameOverlaps(ious, inters, *areas)


def pooled_iou(overlaps: List[FrameOverlaps]) -> np.ndarray:
    """(P, G) video IoU: intersections summed over the frames divided by
    unions summed over the frames."""
    inter = sum(frame.inters for frame in overlaps)
    union = sum(frame.pred_areas for frame in overlaps)[:, None] + sum(
        frame.true_areas for frame in overlaps)[None] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def video_iou_matrix(pred_segms: List[list], true_segms: List[list],
                     num_frames: int) -> np.ndarray:
    """(P, G) video IoU of two lists of tracks (YouTube-VIS's measure)."""
    return pooled_iou([
        frame_overlaps(pred_segms, true_segms, frame)
        for frame in range(num_frames)
    ])


def video_track_errors(
    entries: List[dict],
    shown: Sequence[bool],
    objects: List[dict],
    num_frames: int,
    iou_thr: float,
    min_gap: int,
    in_group: Callable[[np.ndarray],
                       bool] = OBJECT_GROUPS['all']) -> TrackErrors:
    """:class:`TrackErrors` of one video.

    Args:
        entries (list[dict]): The video's checked results entries
            (compressed RLE or None per frame).
        shown (Sequence[bool]): (P, ) which entries are shown tracks.
        objects (list[dict]): The video's checked ground-truth tracks.
        num_frames (int): T.
        iou_thr (float): Lowest IoU of a match (frame or video).
        min_gap (int): Shortest absence counted as a return.
        in_group (Callable): Whether the columns count an object, from its
            (T, ) presence and its steps (a value of :data:`OBJECT_GROUPS`;
            all by default). All objects take part in the matching.
    """
    errors = TrackErrors()
    shown = np.asarray(shown, dtype=bool)
    num_p, num_g = len(entries), len(objects)
    present = np.array([[mask is not None for mask in track['segmentations']]
                        for track in objects],
                       dtype=bool).reshape(num_g, num_frames)
    steps = [centre_steps(track['segmentations']) for track in objects]
    counted = np.array([in_group(*row) for row in zip(present, steps)],
                       dtype=bool)
    overlaps = [
        frame_overlaps([e['segmentations'] for e in entries],
                       [o['segmentations'] for o in objects], frame)
        for frame in range(num_frames)
    ]
    video_iou = pooled_iou(overlaps) if num_frames else np.zeros(
        (num_p, num_g))
    # The frame matches, pooled per object as if linked perfectly.
    linked_inter, linked_union = np.zeros(num_g), np.zeros(num_g)
    matches = np.full((num_frames, num_g), -1)  # matched entry or -1
    for frame, overlap in enumerate(overlaps):
        linked_union += overlap.true_areas
        errors.gt_masks += int(((overlap.true_areas > 0) & counted).sum())
        candidates = np.flatnonzero(shown & (overlap.pred_areas > 0))
        errors.shown_masks += len(candidates)
        if not len(candidates) or not (overlap.true_areas > 0).any():
            continue
        rows, cols = linear_sum_assignment(
            overlap.ious[candidates], maximize=True)
        for row, col in zip(rows, cols):
            entry = candidates[row]
            if overlap.ious[entry, col] >= iou_thr:
                matches[frame, col] = entry
                errors.matched_shown_masks += 1
                errors.matched_masks += int(counted[col])
                inter = overlap.inters[entry, col]
                linked_inter[col] += inter
                linked_union[col] += overlap.pred_areas[entry] - inter
    for g, track in enumerate(objects):
        if not counted[g] or not present[g].any():
            continue
        errors.objects += 1
        shown_ious = np.where(shown, video_iou[:, g], -1.0)
        best = int(np.argmax(shown_ious)) if num_p else -1
        best_iou = max(float(shown_ious[best]), 0.0) if num_p else 0.0
        errors.best_track_iou_sum += best_iou
        linked = linked_inter[g] / linked_union[g] if linked_union[g] else 0
        errors.linked_iou_sum += linked
        if best_iou >= iou_thr:
            errors.covered += 1
            errors.wrong_class += int(
                entries[best]['category_id'] != track['category_id'])
        errors.covered_if_linked += int(linked >= iou_thr)
        matched = matches[:, g][matches[:, g] >= 0]
        if len(matched):
            errors.matched_objects += 1
            errors.fragment_sum += len(set(matched.tolist()))
            errors.id_switches += int((np.diff(matched) != 0).sum())
        else:
            errors.missed += 1
            errors.below_thr += int(
                ((~shown) & (video_iou[:, g] >= iou_thr)).any())
        for before, after in absences(present[g], min_gap):
            errors.returns += 1
            earlier = matches[:before + 1, g]
            later = matches[after:, g]
            earlier, later = earlier[earlier >= 0], later[later >= 0]
            if len(earlier) and len(later):
                errors.returns_matched += 1
                errors.returns_reidentified += int(earlier[-1] == later[0])
                if earlier[-1] != later[0]:
                    others = np.delete(matches[:after], g, axis=1)
                    errors.returns_to_other_track += int(
                        (others == later[0]).any())
    return errors


def track_errors(gt: dict,
                 results: list,
                 score_thr: float = DEFAULT_SCORE_THR,
                 iou_thr: float = 0.5,
                 min_gap: int = 10,
                 gt_source: str = 'the ground truth',
                 results_source: str = 'the predictions',
                 objects: str = 'all') -> TrackErrors:
    """The breakdown of the module docstring for a whole set.

    Args:
        gt (dict): Ground-truth tracks (see
            :mod:`~mmseqformer.evaluation.functional.identity_inputs`).
        results (list[dict]): YouTube-VIS results entries.
        score_thr (float): Lowest score of a shown track.
        iou_thr (float): Lowest mask IoU of a match, per frame and per
            video.
        min_gap (int): Shortest absence, in frames, counted as a return.
        gt_source (str): Name of the ground truth in error messages.
        results_source (str): Name of the results in error messages.
        objects (str): The group of objects counted, a key of
            :data:`OBJECT_GROUPS`, or several joined by ``+`` (the objects
            in all of them). Defaults to ``'all'``.

    Returns:
        TrackErrors: Summed over the videos.
    """
    in_group = object_group(objects)
    gt = check_ground_truth(gt, gt_source)
    checked = check_results(results, gt, results_source)
    decided = {
        id(checked[index])
        for index in decision_indices(checked, score_thr)
    }
    entries_by_video, objects_by_video = defaultdict(list), defaultdict(list)
    for entry in checked:
        entries_by_video[entry['video_id']].append(entry)
    for track in gt['annotations']:
        objects_by_video[track['video_id']].append(track)
    total = TrackErrors()
    for video in gt['videos']:
        entries = entries_by_video[video['id']]
        total += video_track_errors(
            entries, [id(entry) in decided
                      for entry in entries], objects_by_video[video['id']],
            video['length'], iou_thr, min_gap, in_group)
    return total
