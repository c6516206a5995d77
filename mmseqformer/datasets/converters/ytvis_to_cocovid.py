"""Official YouTube-VIS/OVIS files to the CocoVID layout that mmdet's
video datasets read, and :func:`load_vis_annotations`, which reads a file
of either layout as checked CocoVID (the path of the datasets, the
evaluation and the converters).
"""
import os
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
import pycocotools.mask as mask_utils

from ..ytvis_format import (VISAnnotationError, _check_category, _entry,
                            _index_by_id, _require_keys, _require_list,
                            check_categories, check_cocovid,
                            is_official_layout, load_json_file,
                            to_compressed_rle)


def _check_official_video(video, index: int, path: str) -> None:
    _require_keys(video, ['id', 'width', 'height', 'file_names'], path,
                  'videos', index)
    if not isinstance(video['file_names'], list) or not video['file_names']:
        raise VISAnnotationError(
            f'{path}: {_entry("videos", index, video)} has no frames '
            '("file_names" must be a non-empty list)')


def _official_instance_frames(ann: dict, index: int, video: dict,
                              path: str) -> List[Optional[dict]]:
    """Per-frame ``(rle, bbox, area)`` of one official instance, or None."""
    num_frames = len(video['file_names'])
    segmentations = ann['segmentations']
    if not isinstance(segmentations, list) or len(segmentations) != \
            num_frames:
        got = len(segmentations) if isinstance(segmentations, list) else \
            type(segmentations).__name__
        raise VISAnnotationError(
            f'{path}: {_entry("annotations", index, ann)} has {got} '
            f'"segmentations" but video {video["id"]} has {num_frames} '
            'frames (use null for frames where the instance is absent)')
    boxes = ann.get('bboxes') or [None] * num_frames
    frames = []
    for frame_id, segmentation in enumerate(segmentations):
        if segmentation is None:
            frames.append(None)
            continue
        try:
            rle = to_compressed_rle(segmentation, video['height'],
                                    video['width'])
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} frame '
                f'{frame_id}: segmentation is neither polygons nor RLE '
                f'({err})') from None
        bbox = boxes[frame_id] if frame_id < len(boxes) else None
        if bbox is None:
            bbox = mask_utils.toBbox(rle).tolist()
        frames.append(
            dict(
                rle=rle,
                bbox=[float(v) for v in bbox],
                area=float(mask_utils.area(rle))))
    return frames


def official_to_cocovid(content: dict, path: str) -> dict:
    """Convert an official YouTube-VIS/OVIS file to the CocoVID layout.

    Frames where an instance is absent (``null``) get no annotation.
    Image, annotation and instance ids are renumbered from 1 (mmdet treats
    instance id 0 as missing); video and category ids are kept, so results
    refer to the ids of the original file.

    Args:
        content (dict): The parsed official file.
        path (str): Its path, for error messages.

    Returns:
        dict: A CocoVID dict with ``videos``, ``images``, ``annotations``
        and ``categories``.
    """
    categories = check_categories(content, path)
    videos = _require_list(content, 'videos', path)
    for index, video in enumerate(videos):
        _check_official_video(video, index, path)
    videos_by_id = _index_by_id(videos, path, 'videos')
    anns_by_video = defaultdict(list)
    for index, ann in enumerate(
            _require_list(content, 'annotations', path, optional=True)):
        _require_keys(ann, ['id', 'video_id', 'category_id', 'segmentations'],
                      path, 'annotations', index)
        _check_category(ann, index, categories, path)
        if ann['video_id'] not in videos_by_id:
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} refers to '
                f'video_id {ann["video_id"]!r}, which is not in "videos"')
        frames = _official_instance_frames(ann, index,
                                           videos_by_id[ann['video_id']], path)
        anns_by_video[ann['video_id']].append((ann, frames))

    out = dict(
        videos=[],
        images=[],
        annotations=[],
        categories=[
            dict(id=c['id'], name=c['name']) for c in categories.values()
        ])
    num_instances = 0
    for video in videos:
        out['videos'].append(
            dict(
                id=video['id'],
                width=video['width'],
                height=video['height'],
                name=os.path.dirname(video['file_names'][0])))
        first_image_id = len(out['images']) + 1
        for frame_id, file_name in enumerate(video['file_names']):
            out['images'].append(
                dict(
                    id=first_image_id + frame_id,
                    file_name=file_name,
                    video_id=video['id'],
                    frame_id=frame_id,
                    width=video['width'],
                    height=video['height']))
        for ann, frames in anns_by_video[video['id']]:
            num_instances += 1
            for frame_id, frame in enumerate(frames):
                if frame is None:
                    continue
                out['annotations'].append(
                    dict(
                        id=len(out['annotations']) + 1,
                        image_id=first_image_id + frame_id,
                        video_id=video['id'],
                        category_id=ann['category_id'],
                        instance_id=num_instances,
                        bbox=frame['bbox'],
                        area=frame['area'],
                        segmentation=frame['rle'],
                        iscrowd=int(ann.get('iscrowd', 0))))
    return out


def load_vis_annotations(path: str) -> dict:
    """Load a YouTube-VIS-format file of either layout as checked CocoVID.

    Besides the checks, instance ids are made unique per video and start at
    1, annotations get an ``area`` when they lack one, and a ``null`` or
    missing ``annotations`` list (a split without ground truth) becomes
    empty.

    Args:
        path (str): An official or a CocoVID JSON file.

    Returns:
        dict: A CocoVID dict.
    """
    content = load_json_file(path)
    if not _require_list(content, 'videos', path):
        raise VISAnnotationError(f'{path}: "videos" is empty (the file lists '
                                 'no video)')
    if is_official_layout(content):
        return official_to_cocovid(content, path)
    check_cocovid(content, path)
    content['annotations'] = content.get('annotations') or []
    _renumber_instances(content)
    return content


def _renumber_instances(content: dict) -> None:
    """Map (video_id, instance_id) pairs to dense ids 1..N in place."""
    images = {image['id']: image for image in content['images']}
    dense_ids: Dict[tuple, int] = {}
    for ann in content['annotations']:
        key = (images[ann['image_id']]['video_id'], ann['instance_id'])
        ann['instance_id'] = dense_ids.setdefault(key, len(dense_ids) + 1)
        if 'area' not in ann:
            ann['area'] = float(np.prod(ann['bbox'][2:]))
