"""Read, check and convert YouTube-VIS-format annotation files.

Two layouts are accepted everywhere in mmseqformer:

* the **official** layout of YouTube-VIS 2019/2021 and OVIS: ``videos`` with
  ``file_names``, and one annotation per *instance* holding per-frame lists
  ``segmentations`` / ``bboxes`` / ``areas`` with ``None`` where the instance
  is absent;
* the **CocoVID** layout that mmdet's ``BaseVideoDataset`` reads: ``videos``,
  ``images`` (one per frame, with ``video_id`` and ``frame_id``) and one
  annotation per (instance, frame) with ``instance_id``.

A file whose ``annotations`` is ``null``, absent or empty is a split without
ground truth (the YouTube-VIS valid/test files, mmdet's CocoVID test files):
it loads, with its videos and frames and no instance, for testing with
``format_only``; :func:`has_ground_truth` tells the places that need ground
truth (training, evaluation) to refuse it.

Every check raises :class:`VISAnnotationError` naming the file and the entry,
so a user can find the broken line in a file of a hundred megabytes.
"""
import json
import os
import zipfile
from collections import defaultdict
from typing import Any, Dict, List, Optional

import numpy as np
import pycocotools.mask as mask_utils


class VISAnnotationError(ValueError):
    """An annotation file is not valid; the message names file and entry."""


def read_json_file(path: str,
                   kind: str = 'annotation file',
                   zip_member: Optional[str] = None) -> Any:
    """Parse a JSON file, or ``zip_member`` of a zip file, turning missing
    files and parse errors into messages that name the file and the place.

    Args:
        path (str): The file.
        kind (str): What the file is, for the not-found message.
        zip_member (str, optional): The member read when ``path`` is a zip.

    Returns:
        The parsed content.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{kind} not found: {path}')
    try:
        if zip_member is not None and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                if zip_member not in zf.namelist():
                    raise VISAnnotationError(
                        f'{path}: the zip holds no "{zip_member}" (it has '
                        f'{zf.namelist()[:8]})')
                return json.loads(zf.read(zip_member))
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise VISAnnotationError(
            f'{path}: not valid JSON ({err.msg} at line {err.lineno}, '
            f'column {err.colno})') from None
    except UnicodeDecodeError as err:
        raise VISAnnotationError(f'{path}: not UTF-8 text ({err})') from None


def load_json_file(path: str) -> dict:
    """Load an annotation file (:func:`read_json_file`), whose top level
    must be an object.

    Args:
        path (str): Path of the JSON file.

    Returns:
        dict: The parsed top-level object.
    """
    content = read_json_file(path)
    if not isinstance(content, dict):
        raise VISAnnotationError(
            f'{path}: the top level must be an object with "videos" and '
            f'"categories", got {type(content).__name__}')
    return content


def is_official_layout(content: dict) -> bool:
    """Whether ``content`` uses the official per-video layout.

    The CocoVID layout has an ``images`` list; the official one has
    ``file_names`` inside each video instead.
    """
    videos = content.get('videos') or []
    return 'images' not in content and bool(videos) and isinstance(
        videos[0], dict) and 'file_names' in videos[0]


def _entry(section: str, index: int, item) -> str:
    """Name an entry as ``section[index] (id=...)`` for error messages."""
    ident = item.get('id') if isinstance(item, dict) else None
    return f'{section}[{index}]' + (f' (id={ident})'
                                    if ident is not None else '')


def _require_list(content: dict,
                  key: str,
                  path: str,
                  optional: bool = False) -> list:
    """``content[key]`` as a list; an optional key may be absent or null."""
    if optional and content.get(key) is None:
        return []
    if key not in content:
        raise VISAnnotationError(f'{path}: missing the required key "{key}"')
    value = content[key]
    if not isinstance(value, list):
        raise VISAnnotationError(
            f'{path}: "{key}" must be a list, got {type(value).__name__}')
    return value


def _require_keys(item, keys: List[str], path: str, section: str,
                  index: int) -> None:
    if not isinstance(item, dict):
        raise VISAnnotationError(
            f'{path}: {section}[{index}] must be an object, got '
            f'{type(item).__name__}')
    missing = [key for key in keys if key not in item]
    if missing:
        raise VISAnnotationError(
            f'{path}: {_entry(section, index, item)} lacks the required '
            f'key(s) {missing}')


def _index_by_id(items: list, path: str, section: str) -> Dict[int, dict]:
    by_id = {}
    for index, item in enumerate(items):
        if item['id'] in by_id:
            raise VISAnnotationError(
                f'{path}: {_entry(section, index, item)} repeats an id '
                f'already used in "{section}"')
        by_id[item['id']] = item
    return by_id


def check_categories(content: dict, path: str) -> Dict[int, dict]:
    """Check ``categories`` and return them by id."""
    categories = _require_list(content, 'categories', path)
    if not categories:
        raise VISAnnotationError(f'{path}: "categories" is empty')
    for index, category in enumerate(categories):
        _require_keys(category, ['id', 'name'], path, 'categories', index)
    return _index_by_id(categories, path, 'categories')


def _check_category(ann: dict, index: int, categories: Dict[int, dict],
                    path: str) -> None:
    if ann['category_id'] not in categories:
        raise VISAnnotationError(
            f'{path}: {_entry("annotations", index, ann)} has the unknown '
            f'category_id {ann["category_id"]!r}; the file defines '
            f'{sorted(categories)}')


def to_compressed_rle(segmentation, height: int, width: int) -> dict:
    """Turn a polygon list or an (un)compressed RLE into a compressed RLE.

    Args:
        segmentation (list | dict): COCO polygons, or an RLE whose
            ``counts`` is a list (uncompressed) or a string/bytes.
        height (int): Frame height.
        width (int): Frame width.

    Returns:
        dict: ``{'size': [height, width], 'counts': str}``.
    """
    if isinstance(segmentation, list):
        rle = mask_utils.merge(
            mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation.get('counts'), list):
        rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
        rle = dict(segmentation)
    if isinstance(rle['counts'], bytes):
        rle['counts'] = rle['counts'].decode('ascii')
    rle['size'] = [int(size) for size in rle['size']]
    return rle


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


def check_cocovid(content: dict, path: str) -> None:
    """Check a CocoVID file: keys, ids, references and categories.

    Args:
        content (dict): The parsed CocoVID file.
        path (str): Its path, for error messages.
    """
    categories = check_categories(content, path)
    videos = _require_list(content, 'videos', path)
    for index, video in enumerate(videos):
        _require_keys(video, ['id'], path, 'videos', index)
    videos_by_id = _index_by_id(videos, path, 'videos')
    images = _require_list(content, 'images', path)
    for index, image in enumerate(images):
        _require_keys(
            image,
            ['id', 'file_name', 'video_id', 'frame_id', 'width', 'height'],
            path, 'images', index)
        if image['video_id'] not in videos_by_id:
            raise VISAnnotationError(
                f'{path}: {_entry("images", index, image)} refers to '
                f'video_id {image["video_id"]!r}, which is not in "videos"')
    images_by_id = _index_by_id(images, path, 'images')
    annotations = _require_list(content, 'annotations', path, optional=True)
    for index, ann in enumerate(annotations):
        _require_keys(ann,
                      ['id', 'image_id', 'category_id', 'instance_id', 'bbox'],
                      path, 'annotations', index)
        _check_category(ann, index, categories, path)
        if ann['image_id'] not in images_by_id:
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} refers to '
                f'image_id {ann["image_id"]!r}, which is not in "images"')
    _index_by_id(annotations, path, 'annotations')


def has_ground_truth(content: dict) -> bool:
    """Whether a loaded file has ground truth: a non-empty ``annotations``.

    ``null``, absent and ``[]`` all mean a split without ground truth; an
    empty list is how mmdet's converters write test splits, and a split with
    no instance at all could neither train nor be evaluated.
    """
    return bool(content.get('annotations'))


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
