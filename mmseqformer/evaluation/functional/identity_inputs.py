"""Ground truth and predicted tracks for the identity metrics, checked.

Both sides are held as YouTube-VIS *tracks*: one dict per instance with a
per-frame list of compressed RLE masks (``None`` where absent), which is
the form TrackEval's YouTube-VIS dataset reads. Ground truth::

    dict(categories=[dict(id, name)],
         videos=[dict(id, height, width, length, name)],
         annotations=[dict(id, video_id, category_id, iscrowd,
                           segmentations)])

Predictions: the YouTube-VIS results list,
``[dict(video_id, category_id, score, segmentations)]``.

Every check raises :class:`~mmseqformer.datasets.ytvis_format.
VISAnnotationError` naming the file (or source) and the entry.
"""
import math
from numbers import Real
from typing import Dict, List, Optional

import pycocotools.mask as mask_util

from mmseqformer.datasets.converters.ytvis_to_cocovid import \
    load_vis_annotations
from mmseqformer.datasets.ytvis_format import (VISAnnotationError,
                                               read_json_file,
                                               to_compressed_rle)

#: Score threshold of the hard decisions (see
#: docs/user_guides/identity_metrics.md):
#: the video demo's default ``--score-thr`` and mmdet's default
#: ``pred_score_thr``, so the metric scores the tracks a user is shown.
DEFAULT_SCORE_THR = 0.3


def load_ground_truth(path: str) -> dict:
    """Read a YouTube-VIS annotation file (official or CocoVID layout) as
    ground-truth tracks.

    Args:
        path (str): The annotation JSON file.

    Returns:
        dict: Tracks as in the module docstring; instances that are null in
        every frame are left out (they can match nothing).
    """
    content = load_vis_annotations(path)
    if not content['annotations']:
        raise VISAnnotationError(
            f'{path}: has no ground truth ("annotations" is null, absent or '
            'empty): identity metrics need ground-truth tracks')
    images = {image['id']: image for image in content['images']}
    videos = {}
    for image in content['images']:
        video = videos.setdefault(
            image['video_id'],
            dict(
                id=image['video_id'],
                height=image['height'],
                width=image['width'],
                length=0))
        video['length'] = max(video['length'], image['frame_id'] + 1)
    names = {video['id']: video.get('name') for video in content['videos']}
    for video in videos.values():
        video['name'] = names[video['id']]
    tracks = {}
    for index, ann in enumerate(content['annotations']):
        image = images[ann['image_id']]
        if 'segmentation' not in ann:
            raise VISAnnotationError(
                f'{path}: annotations[{index}] (id={ann["id"]}) has no '
                '"segmentation": identity metrics compare masks')
        video = videos[image['video_id']]
        key = (video['id'], ann['instance_id'])
        if key not in tracks:
            tracks[key] = dict(
                id=ann['instance_id'],
                video_id=video['id'],
                category_id=ann['category_id'],
                iscrowd=int(ann.get('iscrowd', 0)),
                segmentations=[None] * video['length'])
        track = tracks[key]
        if track['category_id'] != ann['category_id']:
            raise VISAnnotationError(
                f'{path}: annotations[{index}] (id={ann["id"]}) gives '
                f'category {ann["category_id"]} to an instance that has '
                f'category {track["category_id"]} in another frame: a track '
                'has one class')
        track['segmentations'][image['frame_id']] = ann['segmentation']
    return dict(
        categories=content['categories'],
        videos=list(videos.values()),
        annotations=list(tracks.values()))


def load_results(path: str) -> list:
    """Read a YouTube-VIS results file: ``results.json``, or the submission
    zip holding it (what ``tools/test.py --format-only`` writes).

    Args:
        path (str): A ``.json`` file or a ``.zip`` with ``results.json``.

    Returns:
        list[dict]: The entries, unchecked (see :func:`check_results`).
    """
    content = read_json_file(path, 'results file', 'results.json')
    if not isinstance(content, list):
        raise VISAnnotationError(
            f'{path}: a results file is a list of predicted tracks '
            f'(video_id, category_id, score, segmentations), got '
            f'{type(content).__name__}')
    return content


def _frame_rle(segmentation, video: dict, where: str) -> Optional[dict]:
    """One frame's mask as a compressed RLE of the video's size, or None."""
    if segmentation is None:
        return None
    try:
        rle = to_compressed_rle(segmentation, video['height'], video['width'])
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:
        raise VISAnnotationError(
            f'{where}: segmentation is neither polygons nor RLE ({e})'
        ) from None
    if rle['size'] != [video['height'], video['width']]:
        raise VISAnnotationError(
            f'{where}: mask size {rle["size"]} differs from video '
            f'{video["id"]} ({video["height"]}x{video["width"]})')
    return rle


def _track_rles(segmentations, video: dict, where: str) -> List:
    """All frames of one track, checked against the video's length."""
    if not isinstance(segmentations, list) or \
            len(segmentations) != video['length']:
        got = len(segmentations) if isinstance(segmentations, list) else \
            type(segmentations).__name__
        raise VISAnnotationError(
            f'{where} has {got} "segmentations" but video {video["id"]} has '
            f'{video["length"]} frames (null where the instance is absent)')
    return [
        _frame_rle(segmentation, video, f'{where} frame {frame_id}')
        for frame_id, segmentation in enumerate(segmentations)
    ]


def check_ground_truth(gt: dict, source: str) -> dict:
    """Check ground-truth tracks and turn every mask into compressed RLE.

    Args:
        gt (dict): Tracks as in the module docstring; a video needs
            ``length`` (or ``file_names``) and ``height``/``width``.
        source (str): Where ``gt`` comes from, for error messages.

    Returns:
        dict: A checked copy with compressed RLE masks and video names.
    """
    categories = gt.get('categories') or []
    names = [category['name'] for category in categories]
    if not names or len(set(names)) != len(names):
        raise VISAnnotationError(
            f'{source}: category names must exist and differ (TrackEval '
            f'evaluates classes by name), got {names}')
    videos = {}
    for video in gt.get('videos') or []:
        length = video.get('length') or len(video.get('file_names') or [])
        videos[video['id']] = dict(
            id=video['id'],
            height=video['height'],
            width=video['width'],
            length=length,
            name=video.get('name') or f'video_{video["id"]}')
    if len({video['name'] for video in videos.values()}) != len(videos):
        for video in videos.values():
            video['name'] = f'video_{video["id"]}'
    category_ids = {category['id'] for category in categories}
    tracks = []
    for index, ann in enumerate(gt.get('annotations') or []):
        where = f'{source}: annotations[{index}] (id={ann.get("id")})'
        if ann.get('video_id') not in videos:
            raise VISAnnotationError(
                f'{where} refers to video_id {ann.get("video_id")!r}, which '
                'is not in "videos"')
        if ann.get('category_id') not in category_ids:
            raise VISAnnotationError(f'{where} has the unknown category_id '
                                     f'{ann.get("category_id")!r}')
        video = videos[ann['video_id']]
        tracks.append(
            dict(
                id=ann['id'],
                video_id=ann['video_id'],
                category_id=ann['category_id'],
                iscrowd=int(ann.get('iscrowd', 0)),
                segmentations=_track_rles(
                    ann.get('segmentations'), video, where)))
    return dict(
        categories=[dict(id=c['id'], name=c['name']) for c in categories],
        videos=list(videos.values()),
        annotations=tracks)


def check_results(results: list, gt: dict, source: str) -> List[dict]:
    """Check predicted tracks against checked ground truth.

    Args:
        results (list[dict]): YouTube-VIS results entries.
        gt (dict): The output of :func:`check_ground_truth`.
        source (str): Where ``results`` come from, for error messages.

    Returns:
        list[dict]: Checked copies with compressed RLE masks, in order.
    """
    videos = {video['id']: video for video in gt['videos']}
    category_ids = sorted(category['id'] for category in gt['categories'])
    checked = []
    for index, entry in enumerate(results):
        where = f'{source}: entry [{index}]'
        if not isinstance(entry, dict):
            raise VISAnnotationError(
                f'{where} must be an object, got {type(entry).__name__}')
        missing = [
            key
            for key in ('video_id', 'category_id', 'score', 'segmentations')
            if key not in entry
        ]
        if missing:
            raise VISAnnotationError(f'{where} lacks the key(s) {missing}')
        if entry['video_id'] not in videos:
            raise VISAnnotationError(
                f'{where} refers to video_id {entry["video_id"]!r}, which is '
                'not in the ground truth')
        if entry['category_id'] not in category_ids:
            raise VISAnnotationError(
                f'{where} has the category_id {entry["category_id"]!r}; the '
                f'ground truth defines {category_ids}')
        score = entry['score']
        if not isinstance(score, Real) or isinstance(score, bool) or \
                not math.isfinite(score):
            raise VISAnnotationError(
                f'{where} has the score {score!r}: a finite number is needed')
        checked.append(
            dict(
                video_id=entry['video_id'],
                category_id=entry['category_id'],
                score=float(score),
                segmentations=_track_rles(entry['segmentations'],
                                          videos[entry['video_id']], where)))
    return checked


def decision_indices(results: List[dict],
                     score_thr: float = DEFAULT_SCORE_THR,
                     one_class_per_track: bool = True) -> List[int]:
    """Indices of the entries that :func:`select_hard_decisions` keeps, in
    order."""
    best: Dict[tuple, int] = {}
    for index, entry in enumerate(results):
        if entry['score'] < score_thr:
            continue
        if not one_class_per_track:
            best[('entry', index)] = index
            continue
        key = (entry['video_id'],
               tuple(None if rle is None else rle['counts']
                     for rle in entry['segmentations']))
        if key not in best or entry['score'] > results[best[key]]['score']:
            best[key] = index
    return sorted(best.values())


def select_hard_decisions(results: List[dict],
                          score_thr: float = DEFAULT_SCORE_THR,
                          one_class_per_track: bool = True) -> List[dict]:
    """The predicted tracks that count as decisions.

    A track counts if its score is at least ``score_thr``. With
    ``one_class_per_track``, entries of one video with the same mask in
    every frame are one query listed with several classes (the top-k over
    query x class pairs does that): only the highest-scoring one counts
    (the first in file order on a tie). A track is in a frame only where
    its mask is non-empty: an empty mask (which a results file gives every
    entry in the frames where it is absent) becomes None, no detection,
    where TrackEval's script would count a detection that matches nothing.

    Args:
        results (list[dict]): Checked entries (compressed RLE masks).
        score_thr (float): Lowest score kept.
        one_class_per_track (bool): Keep one class per mask sequence.

    Returns:
        list[dict]: The kept entries, in their order (copies where a mask
        was empty).
    """
    return [
        _without_empty_masks(results[index])
        for index in decision_indices(results, score_thr, one_class_per_track)
    ]


def _without_empty_masks(entry: dict) -> dict:
    """``entry``, or a copy with None for its empty masks."""
    segmentations = entry['segmentations']
    empty = [
        rle is not None and not mask_util.area(rle) for rle in segmentations
    ]
    if not any(empty):
        return entry
    return dict(
        entry,
        segmentations=[
            None if is_empty else rle
            for rle, is_empty in zip(segmentations, empty)
        ])
