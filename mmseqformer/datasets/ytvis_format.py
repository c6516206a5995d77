"""Read and check YouTube-VIS-format annotation files (the conversion of
the official layout to CocoVID, and loading either as CocoVID, are
:mod:`mmseqformer.datasets.converters.ytvis_to_cocovid`).

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
from typing import Any, Dict, List, Optional

import pycocotools.mask as mask_utils

from ..utils.user_errors import (InputFormatError, InputNotFoundError,
                                 UserInputError)


class VISAnnotationError(InputFormatError):
    """An annotation file is not valid; the message names file and entry.

    A :class:`~mmseqformer.utils.UserInputError` (the tools print it in one
    line) and a ``ValueError``.
    """


def read_json_file(path: str,
                   kind: str = 'annotation file',
                   zip_member: Optional[str] = None) -> Any:
    """Parse a JSON file, or ``zip_member`` of a zip file, turning missing
    files and parse errors into messages that name the file and the place
    (:class:`~mmseqformer.utils.InputNotFoundError`,
    :class:`VISAnnotationError`).

    Args:
        path (str): The file.
        kind (str): What the file is, for the not-found message.
        zip_member (str, optional): The member read when ``path`` is a zip.

    Returns:
        The parsed content.
    """
    if os.path.isdir(path):
        raise VISAnnotationError(f'{path}: a folder, not the {kind}')
    if not os.path.isfile(path):
        raise InputNotFoundError(path, f'no such {kind}')
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
    except zipfile.BadZipFile as err:
        raise VISAnnotationError(f'{path}: not a valid zip ({err})') from None
    except OSError as err:
        raise UserInputError(path,
                             f'cannot be read ({err.strerror})') from None


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
