"""COCO-format per-frame annotations of videos -> YouTube-VIS.

Many tools export video annotations as COCO: one ``images`` entry per frame
and one ``annotations`` entry per (object, frame), each carrying the id of
the track it belongs to. They differ in where video, frame and track live:

* mmdet's CocoVID: ``videos``; images with ``video_id`` and ``frame_id``;
  annotations with ``instance_id``;
* CVAT's COCO export of video tasks: no video id (one video per folder of
  ``file_name``, or one video), frames in file-name order, the track in
  ``attributes.track_id``;
* others: ``track_id`` at the top level of the annotation.

:class:`CocoVideoFields` says where to look; by default it finds out from
the first image and annotation. The result is the official YouTube-VIS
layout (one annotation per track, ``null`` in frames where the track is
absent), the reverse of
:func:`mmseqformer.datasets.converters.ytvis_to_cocovid.official_to_cocovid`.

Every problem raises :class:`~mmseqformer.datasets.VISAnnotationError`
naming the file and the entry (image or annotation, with its id).
"""
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ..ytvis_format import (VISAnnotationError, _check_category, _entry,
                            _index_by_id, _require_keys, _require_list,
                            check_categories, to_compressed_rle)
from .official_layout import official_annotation, official_file, official_video

#: Annotation fields tried, in order, for the track id.
TRACK_FIELDS = ('instance_id', 'track_id', 'attributes.track_id')
#: Image fields tried, in order, for the video id.
VIDEO_FIELDS = ('video_id', )
#: Image fields tried, in order, for the frame index.
FRAME_FIELDS = ('frame_id', 'frame_index', 'frame')

_MISSING = object()


@dataclass(frozen=True)
class CocoVideoFields:
    """Where a COCO video file keeps the video, the frame and the track.

    Field names may be dotted to reach into a nested object
    (``attributes.track_id``).

    Attributes:
        track (str, optional): Annotation field of the track id. None: the
            first of :data:`TRACK_FIELDS` that the first annotation has.
        video (str, optional): Image field of the video id. None: the first
            of :data:`VIDEO_FIELDS` that the first image has; without one,
            videos are the folders of ``file_name``.
        frame (str, optional): Image field of the frame index (frames are
            ordered by it; gaps are allowed). None: the first of
            :data:`FRAME_FIELDS` that the first image has; without one,
            the natural order of the file names.
        video_from_folder (bool): Videos are the folders of ``file_name``
            even if images carry a video id.
        frame_from_file_name (bool): Frames are ordered by file name even
            if images carry a frame index.
    """
    track: Optional[str] = None
    video: Optional[str] = None
    frame: Optional[str] = None
    video_from_folder: bool = False
    frame_from_file_name: bool = False


def get_field(item: dict, field: str) -> Any:
    """``item[field]``, following dots into nested objects; a private
    sentinel when absent."""
    value = item
    for key in field.split('.'):
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _natural_key(name: str) -> list:
    """'frame10.jpg' after 'frame9.jpg'."""
    return [int(s) if s.isdigit() else s for s in re.split(r'(\d+)', name)]


def _first_present(item: Optional[dict],
                   candidates: Tuple[str, ...]) -> Optional[str]:
    if item is None:
        return None
    return next(
        (field
         for field in candidates if get_field(item, field) is not _MISSING),
        None)


def resolve_fields(fields: CocoVideoFields, images: List[dict],
                   annotations: List[dict], path: str) -> CocoVideoFields:
    """Fill the fields left to be found out.

    Returns:
        CocoVideoFields: ``track`` set (when there are annotations);
        ``video`` None only when videos come from folders; ``frame`` None
        only when frames are ordered by file name.
    """
    first_image = images[0] if images else None
    track = fields.track or _first_present(
        annotations[0] if annotations else None, TRACK_FIELDS)
    if annotations and track is None:
        raise VISAnnotationError(
            f'{path}: {_entry("annotations", 0, annotations[0])} has no '
            f'track id (looked for {list(TRACK_FIELDS)}); name the field '
            'that holds it (--track-field)')
    video = None if fields.video_from_folder else (
        fields.video or _first_present(first_image, VIDEO_FIELDS))
    frame = None if fields.frame_from_file_name else (
        fields.frame or _first_present(first_image, FRAME_FIELDS))
    return CocoVideoFields(
        track=track,
        video=video,
        frame=frame,
        video_from_folder=video is None,
        frame_from_file_name=frame is None)


@dataclass
class _Video:
    """The frames of one video, in order."""
    key: Any
    frames: List[dict]
    ytvis: Optional[dict] = None


def _video_key(image: dict, index: int, fields: CocoVideoFields,
               path: str) -> Any:
    if fields.video is None:
        return os.path.dirname(image['file_name'])
    key = get_field(image, fields.video)
    if key is _MISSING or isinstance(key, (dict, list)):
        raise VISAnnotationError(
            f'{path}: {_entry("images", index, image)} has no video id in '
            f'"{fields.video}" (other images have one)')
    return key


def _group_videos(content: dict, images: List[dict], fields: CocoVideoFields,
                  path: str) -> List[_Video]:
    """The videos and their ordered frames, checked."""
    listed = []
    if fields.video is not None and content.get('videos') is not None:
        listed = _require_list(content, 'videos', path)
        for index, video in enumerate(listed):
            _require_keys(video, ['id'], path, 'videos', index)
        _index_by_id(listed, path, 'videos')
    frames: Dict[Any, List[Tuple[int, dict]]] = {}
    seen_files: Dict[str, Tuple[int, dict]] = {}
    for index, image in enumerate(images):
        key = _video_key(image, index, fields, path)
        if image['file_name'] in seen_files:
            other = _entry('images', *seen_files[image['file_name']])
            raise VISAnnotationError(
                f'{path}: {_entry("images", index, image)} and {other} '
                f'have the same file_name "{image["file_name"]}"')
        seen_files[image['file_name']] = (index, image)
        frames.setdefault(key, []).append((index, image))
    if listed:
        listed_ids = [video['id'] for video in listed]
        for key, key_frames in frames.items():
            if key not in listed_ids:
                index, image = key_frames[0]
                raise VISAnnotationError(
                    f'{path}: {_entry("images", index, image)} refers to '
                    f'{fields.video} {key!r}, which is not in "videos"')
        for index, video in enumerate(listed):
            if video['id'] not in frames:
                raise VISAnnotationError(
                    f'{path}: {_entry("videos", index, video)} has no '
                    'frame in "images" (a YouTube-VIS video needs one)')
        keys = listed_ids
    else:
        keys = sorted(frames, key=lambda key: _natural_key(str(key)))
    return [
        _Video(key, _order_frames(key, frames[key], fields, path))
        for key in keys
    ]


def _order_frames(key: Any, frames: List[Tuple[int, dict]],
                  fields: CocoVideoFields, path: str) -> List[dict]:
    """One video's frames in order; equal sizes and no repeated index."""
    if fields.frame is None:
        ordered = sorted(
            frames, key=lambda item: _natural_key(item[1]['file_name']))
    else:
        by_index: Dict[int, Tuple[int, dict]] = {}
        for index, image in frames:
            frame = get_field(image, fields.frame)
            if isinstance(frame, bool) or not isinstance(frame, int):
                got = 'none' if frame is _MISSING else repr(frame)
                raise VISAnnotationError(
                    f'{path}: {_entry("images", index, image)} needs an '
                    f'integer frame index in "{fields.frame}", got {got}')
            if frame in by_index:
                other = _entry('images', *by_index[frame])
                raise VISAnnotationError(
                    f'{path}: {_entry("images", index, image)} and {other} '
                    f'are both frame {frame} of video {key!r}')
            by_index[frame] = (index, image)
        ordered = [by_index[frame] for frame in sorted(by_index)]
    first_index, first = ordered[0]
    for index, image in ordered[1:]:
        if (image['height'], image['width']) != (first['height'],
                                                 first['width']):
            raise VISAnnotationError(
                f'{path}: {_entry("images", index, image)} is '
                f'{image["height"]}x{image["width"]} (HxW) but '
                f'{_entry("images", first_index, first)} of the same video '
                f'{key!r} is {first["height"]}x{first["width"]}; the frames '
                'of a video must have one size')
    return [image for _, image in ordered]


def _ytvis_video_ids(videos: List[_Video], listed: bool) -> List[int]:
    """Keep integer video ids; number folder (or other) keys 1..N."""
    keys = [video.key for video in videos]
    if listed or all(
            isinstance(key, int) and not isinstance(key, bool)
            for key in keys):
        return keys
    return list(range(1, len(videos) + 1))


def _check_polygons(segmentation: list) -> Optional[str]:
    """Why a polygon list is not valid, or None (pycocotools would read a
    4-number polygon as a box)."""
    if not segmentation:
        return 'is an empty polygon list'
    for polygon in segmentation:
        if not isinstance(
                polygon,
                list) or len(polygon) < 6 or len(polygon) % 2 or not all(
                    isinstance(v, (int, float)) for v in polygon):
            return ('has a polygon that is not a flat list of at least 3 '
                    '(x, y) points')
    return None


def _frame_rle(ann: dict, index: int, image: dict, path: str) -> dict:
    """The annotation's mask as a compressed RLE of the frame's size."""
    segmentation = ann['segmentation']
    where = f'{path}: {_entry("annotations", index, ann)}'
    if isinstance(segmentation, list):
        problem = _check_polygons(segmentation)
        if problem:
            raise VISAnnotationError(f'{where}: the segmentation {problem} '
                                     '(YouTube-VIS needs masks)')
    elif not isinstance(segmentation, dict) or 'counts' not in segmentation \
            or 'size' not in segmentation:
        raise VISAnnotationError(
            f'{where}: the segmentation is neither polygons nor an RLE with '
            f'"counts" and "size" (got {type(segmentation).__name__})')
    elif list(segmentation['size']) != [image['height'], image['width']]:
        raise VISAnnotationError(
            f'{where}: the RLE is {segmentation["size"]} (HxW) but its '
            f'image {image["id"]} is {image["height"]}x{image["width"]}')
    try:
        return to_compressed_rle(segmentation, image['height'], image['width'])
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise VISAnnotationError(
            f'{where}: the segmentation cannot be read ({err})') from None


@dataclass
class _Track:
    """One track of one video: its masks per frame, None where absent."""
    category_id: int
    first: Tuple[int, dict]  # (index, annotation) where it was first seen
    rles: List[Optional[dict]]
    annotations: List[Optional[Tuple[int, dict]]]
    iscrowd: int = 0


def _collect_tracks(annotations: List[dict], videos: List[_Video],
                    categories: Dict[int, dict], fields: CocoVideoFields,
                    ignore_iscrowd: bool,
                    path: str) -> Dict[int, Dict[Any, _Track]]:
    """Tracks per video (by position in ``videos``), in order of first
    appearance."""
    where_image = {}  # image id -> (video position, frame position, image)
    for position, video in enumerate(videos):
        for frame, image in enumerate(video.frames):
            where_image[image['id']] = (position, frame, image)
    tracks: Dict[int, Dict[Any, _Track]] = {
        position: {}
        for position in range(len(videos))
    }
    for index, ann in enumerate(annotations):
        track_id = get_field(ann, fields.track)
        if track_id is _MISSING or isinstance(track_id, (dict, list)):
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} has no track '
                f'id in "{fields.track}" (other annotations have one)')
        _check_category(ann, index, categories, path)
        if ann['image_id'] not in where_image:
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} refers to '
                f'image_id {ann["image_id"]!r}, which is not in "images"')
        position, frame, image = where_image[ann['image_id']]
        num_frames = len(videos[position].frames)
        track = tracks[position].setdefault(
            track_id,
            _Track(ann['category_id'], (index, ann), [None] * num_frames,
                   [None] * num_frames))
        if track.annotations[frame] is not None:
            other = _entry('annotations', *track.annotations[frame])
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} and {other} '
                f'both give track {track_id!r} in image {image["id"]} (one '
                'mask per track and frame)')
        if ann['category_id'] != track.category_id:
            raise VISAnnotationError(
                f'{path}: {_entry("annotations", index, ann)} gives track '
                f'{track_id!r} the category {ann["category_id"]!r}, but '
                f'{_entry("annotations", *track.first)} gives it '
                f'{track.category_id!r}; a track has one category')
        track.annotations[frame] = (index, ann)
        track.rles[frame] = _frame_rle(ann, index, image, path)
        if not ignore_iscrowd:
            track.iscrowd = max(track.iscrowd, int(ann.get('iscrowd', 0)))
    return tracks


def coco_video_to_ytvis(content: dict,
                        path: str,
                        fields: CocoVideoFields = CocoVideoFields(),
                        ignore_iscrowd: bool = False) -> dict:
    """Convert per-frame COCO video annotations to the official layout.

    Videos keep their ids when they have integer ids (from ``videos`` or
    the images' video field) and are numbered 1..N otherwise (folders, in
    natural name order). A video's ``file_names`` are its images' file
    names in frame order, so the frame folder of the COCO file is the frame
    folder of the result. Annotations are numbered 1..M, video by video,
    each video's tracks in order of first appearance. A track's ``iscrowd``
    is 1 when any of its annotations has ``iscrowd`` 1 (CVAT marks masks
    drawn with its brush so: pass ``ignore_iscrowd=True`` there).

    Args:
        content (dict): The parsed COCO file.
        path (str): Its path, for error messages.
        fields (CocoVideoFields): Where video, frame and track are.
        ignore_iscrowd (bool): Write ``iscrowd`` 0 for every track.

    Returns:
        dict: The official YouTube-VIS layout.
    """
    categories = check_categories(content, path)
    images = _require_list(content, 'images', path)
    if not images:
        raise VISAnnotationError(f'{path}: "images" is empty (no frame)')
    for index, image in enumerate(images):
        _require_keys(image, ['id', 'file_name', 'height', 'width'], path,
                      'images', index)
    _index_by_id(images, path, 'images')
    annotations = _require_list(content, 'annotations', path, optional=True)
    for index, ann in enumerate(annotations):
        _require_keys(ann, ['id', 'image_id', 'category_id', 'segmentation'],
                      path, 'annotations', index)
    _index_by_id(annotations, path, 'annotations')
    fields = resolve_fields(fields, images, annotations, path)
    videos = _group_videos(content, images, fields, path)
    tracks = _collect_tracks(annotations, videos, categories, fields,
                             ignore_iscrowd, path)
    listed = fields.video is not None and content.get('videos') is not None
    out_videos, out_annotations = [], []
    for position, (video, video_id) in enumerate(
            zip(videos, _ytvis_video_ids(videos, listed))):
        first = video.frames[0]
        ytvis = official_video(video_id,
                               [image['file_name'] for image in video.frames],
                               first['height'], first['width'])
        out_videos.append(ytvis)
        for track in tracks[position].values():
            out_annotations.append(
                official_annotation(
                    len(out_annotations) + 1, ytvis, track.category_id,
                    track.rles, track.iscrowd))
    return official_file(
        out_videos, out_annotations, [dict(c) for c in categories.values()],
        f'converted from {os.path.basename(path)} by mmseqformer')
