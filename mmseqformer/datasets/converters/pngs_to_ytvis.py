"""Folders of per-frame instance-id PNGs (DAVIS / VOS style) -> YouTube-VIS.

Input::

    PNG_ROOT/<video>/<frame>.png      pixel value = instance id, 0 = background
    FRAMES_ROOT/<video>/<frame>.jpg   the frames (any image extension)
    MAPPING.json                      id -> category (instance_mapping.py)

Each PNG is matched with the frame of the same name (extension aside) in the
video's frame folder; ``file_names`` list the frames that have a PNG, in
natural name order (frames without a PNG are not part of the dataset, as in
YouTube-VIS, where every fifth frame is annotated). Every instance id of a
video becomes one YouTube-VIS instance, in id order, ``null`` in frames
where its id does not occur.
"""
import os
import re
from typing import Dict, List, Tuple

import numpy as np
import pycocotools.mask as mask_utils
from PIL import Image

from ...utils.user_errors import InputNotFoundError
from ..transforms.frame_loading import check_frame_file
from ..ytvis_format import VISAnnotationError
from .instance_mapping import InstanceMapping
from .instance_png import read_instance_png
from .official_layout import official_annotation, official_file, official_video

#: Files of a frame folder taken as frames.
FRAME_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def _natural_key(name: str) -> list:
    """'00010.png' after '00009.png', 'f10.png' after 'f9.png'."""
    return [int(s) if s.isdigit() else s for s in re.split(r'(\d+)', name)]


def _list_files(folder: str, suffixes: Tuple[str, ...]) -> List[str]:
    return sorted(
        (name for name in os.listdir(folder)
         if name.lower().endswith(suffixes) and not name.startswith('.')),
        key=_natural_key)


def _frames_by_stem(folder: str) -> Dict[str, str]:
    """Frame file name by name without extension; two files with one stem
    are refused (which one is the frame?)."""
    frames: Dict[str, str] = {}
    for name in _list_files(folder, FRAME_SUFFIXES):
        stem = os.path.splitext(name)[0]
        if stem in frames:
            raise VISAnnotationError(
                f'{folder}: both {frames[stem]} and {name} could be the '
                f'frame of {stem}.png')
        frames[stem] = name
    return frames


def _frame_size(path: str) -> Tuple[int, int]:
    """(H, W) from the image header, without decoding."""
    problem = check_frame_file(path)
    if problem is not None:
        raise VISAnnotationError(f'the frame file {path} {problem}')
    with Image.open(path) as image:
        return image.height, image.width


def _read_video(
    png_dir: str, frames_dir: str, video: str, mapping: InstanceMapping
) -> Tuple[List[str], Tuple[int, int], Dict[int, list]]:
    """Read one video's PNGs and check them against frames and mapping.

    Frames are encoded one at a time, so memory holds one frame's ids.

    Returns:
        tuple: the frame file names (relative to the frames root), the
        frame size (H, W) and, by instance id, one RLE per frame (None
        where the id does not occur).
    """
    png_names = _list_files(png_dir, ('.png', ))
    if not png_names:
        raise VISAnnotationError(f'{png_dir}: no PNG in the folder of video '
                                 f'"{video}"')
    if not os.path.isdir(frames_dir):
        raise VISAnnotationError(
            f'{frames_dir}: no frame folder for video "{video}" (its PNGs '
            f'are in {png_dir})')
    frames = _frames_by_stem(frames_dir)
    file_names: List[str] = []
    size = None
    rles: Dict[int, list] = {}
    for frame, name in enumerate(png_names):
        png_path = os.path.join(png_dir, name)
        id_map = read_instance_png(png_path)
        stem = os.path.splitext(name)[0]
        if stem not in frames:
            raise VISAnnotationError(
                f'{png_path}: no frame {stem}.* in {frames_dir}')
        frame_path = os.path.join(frames_dir, frames[stem])
        if size is not None and id_map.shape != size:
            raise VISAnnotationError(
                f'{png_path} is {id_map.shape[0]}x{id_map.shape[1]} (HxW) '
                f'but {os.path.join(png_dir, png_names[0])} is '
                f'{size[0]}x{size[1]}; the frames of a video must have one '
                'size')
        size = id_map.shape
        frame_size = _frame_size(frame_path)
        if frame_size != id_map.shape:
            raise VISAnnotationError(
                f'{png_path} is {id_map.shape[0]}x{id_map.shape[1]} (HxW) '
                f'but its frame {frame_path} is {frame_size[0]}x'
                f'{frame_size[1]}')
        for instance_id in np.unique(id_map[id_map > 0]):
            if mapping.category_of(video, int(instance_id)) is None:
                raise VISAnnotationError(
                    f'{png_path}: instance id {instance_id} of video '
                    f'"{video}" has no category in {mapping.path}')
            rles.setdefault(int(instance_id), [None] * len(png_names))
            rles[int(instance_id)][frame] = _encode(id_map == instance_id)
        file_names.append(f'{video}/{frames[stem]}')
    return file_names, size, rles


def _encode(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def instance_pngs_to_ytvis(png_root: str, frames_root: str,
                           mapping: InstanceMapping) -> dict:
    """Convert a folder of instance-id PNG folders to the official layout.

    Args:
        png_root (str): One subfolder of PNGs per video.
        frames_root (str): One subfolder of frames per video (the
            dataset's ``JPEGImages``); ``file_names`` are relative to it.
        mapping (InstanceMapping): Ids -> categories, video ids.

    Returns:
        dict: The official YouTube-VIS layout. Videos are ordered by id,
        annotations numbered 1..M video by video, in instance id order.
    """
    if not os.path.isdir(png_root):
        raise InputNotFoundError(png_root, 'no such folder of PNG folders')
    names = sorted((name for name in os.listdir(png_root)
                    if os.path.isdir(os.path.join(png_root, name))
                    and not name.startswith('.')),
                   key=_natural_key)
    if not names:
        raise VISAnnotationError(
            f'{png_root}: no video folder (expected one subfolder of PNGs '
            'per video)')
    for video in list(mapping.videos) + list(mapping.video_ids):
        if video not in names:
            raise VISAnnotationError(
                f'{mapping.path}: names the video "{video}", which is not a '
                f'folder of {png_root}')
    video_ids = mapping.number_videos(names)
    videos, annotations = [], []
    for name in sorted(names, key=lambda name: video_ids[name]):
        file_names, size, rles = _read_video(
            os.path.join(png_root, name), os.path.join(frames_root, name),
            name, mapping)
        video = official_video(video_ids[name], file_names, *size)
        videos.append(video)
        for instance_id in sorted(rles):
            annotations.append(
                official_annotation(
                    len(annotations) + 1, video,
                    mapping.category_of(name, instance_id), rles[instance_id]))
    return official_file(
        videos, annotations, mapping.categories,
        f'converted from instance-id PNGs ({os.path.basename(png_root)}) '
        'by mmseqformer')
