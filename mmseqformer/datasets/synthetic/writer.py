"""Write the synthetic YouTube-VIS-format dataset to disk.

Layout (the same as YouTube-VIS 2019 after mmdet's conversion)::

    <root>/train/JPEGImages/<video>/00000.jpg ...
    <root>/valid/JPEGImages/<video>/00000.jpg ...
    <root>/train.json, <root>/valid.json          official per-video layout
    <root>/annotations/synthetic_vis_{train,valid}.json   CocoVID layout
    <root>/manifest.json                          the parameters used

The valid split is held out (other videos, other seed) and keeps its
annotations, so AP can be computed on it.
"""
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from ..converters.ytvis_to_cocovid import official_to_cocovid
from .scene import (SHAPES, MovingShape, random_background, random_shape,
                    render_frame)

#: Category ids deliberately not 1..K, to exercise the id mapping.
CATEGORY_IDS = (2, 5, 9)


@dataclass(frozen=True)
class SyntheticVISSpec:
    """What to generate; stored in ``manifest.json``.

    Attributes:
        seed (int): Random seed; same seed and spec give the same files.
        num_train_videos (int): Videos in the train split.
        num_valid_videos (int): Videos in the held-out valid split.
        max_frames (int): Longest video. Each split also holds a 1-frame
            video.
        max_objects (int): Most objects per video (at least one).
        frame_sizes (tuple): (height, width) choices, portrait included.
    """
    seed: int = 0
    num_train_videos: int = 600
    num_valid_videos: int = 12
    max_frames: int = 10
    max_objects: int = 4
    frame_sizes: Tuple[Tuple[int, int],
                       ...] = ((96, 128), (120, 160), (128, 96), (112, 112))


def categories() -> List[Dict]:
    """The dataset's categories, one per shape."""
    return [
        dict(id=cat_id, name=name, supercategory='shape')
        for cat_id, name in zip(CATEGORY_IDS, SHAPES)
    ]


def _encode(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def _write_video(root: str, split: str, name: str, video_id: int,
                 num_frames: int, rng: np.random.Generator,
                 spec: SyntheticVISSpec) -> Tuple[dict, List[dict]]:
    """Render one video's frames; return its official video and instances."""
    height, width = spec.frame_sizes[rng.integers(len(spec.frame_sizes))]
    background = random_background(rng, height, width)
    objects = [
        random_shape(rng, height, width, num_frames)
        for _ in range(rng.integers(1, spec.max_objects + 1))
    ]
    return render_video(root, split, name, video_id, num_frames, background,
                        objects, rng)


def render_video(root: str, split: str, name: str, video_id: int,
                 num_frames: int, background: np.ndarray,
                 objects: List[MovingShape],
                 rng: np.random.Generator) -> Tuple[dict, List[dict]]:
    """Render a video of ``objects`` (back to front) on ``background``
    ((H, W, 3) uint8) into ``<root>/<split>/JPEGImages/<name>/``.

    Returns:
        tuple[dict, list[dict]]: The official ``videos`` entry and the
        official annotations of the objects visible in some frame (without
        ``id``).
    """
    height, width = background.shape[:2]
    file_names = []
    tracks = [[None] * num_frames for _ in objects]
    frame_dir = os.path.join(root, split, 'JPEGImages', name)
    os.makedirs(frame_dir)
    for frame_id in range(num_frames):
        image, masks = render_frame(background, objects, frame_id, rng)
        file_name = f'{name}/{frame_id:05d}.jpg'
        cv2.imwrite(
            os.path.join(root, split, 'JPEGImages', file_name), image,
            [cv2.IMWRITE_JPEG_QUALITY, 92])
        file_names.append(file_name)
        for track, mask in zip(tracks, masks):
            track[frame_id] = None if mask is None else _encode(mask)
    video = dict(
        id=video_id,
        width=int(width),
        height=int(height),
        length=num_frames,
        file_names=file_names)
    instances = [(obj, track) for obj, track in zip(objects, tracks)
                 if any(rle is not None for rle in track)]
    return video, [
        _official_annotation(obj.shape, track, video)
        for obj, track in instances
    ]


def _official_annotation(shape: str, track: List, video: dict) -> dict:
    boxes = [
        None if rle is None else mask_utils.toBbox(rle).tolist()
        for rle in track
    ]
    areas = [
        None if rle is None else float(mask_utils.area(rle)) for rle in track
    ]
    return dict(
        video_id=video['id'],
        category_id=CATEGORY_IDS[SHAPES.index(shape)],
        iscrowd=0,
        segmentations=track,
        bboxes=boxes,
        areas=areas,
        width=video['width'],
        height=video['height'],
        length=video['length'])


def _write_split(root: str, split: str, num_videos: int,
                 rng: np.random.Generator, spec: SyntheticVISSpec) -> dict:
    """Render a split; write its official and CocoVID JSON files."""
    videos, annotations = [], []
    for index in range(num_videos):
        # The first video of every split has a single frame.
        num_frames = 1 if index == 0 else int(
            rng.integers(2, spec.max_frames + 1))
        video, instances = _write_video(root, split, f'{split}_{index:03d}',
                                        index + 1, num_frames, rng, spec)
        videos.append(video)
        for instance in instances:
            annotations.append(dict(instance, id=len(annotations) + 1))
    return write_split_files(root, split, videos, annotations)


def write_split_files(root: str, split: str, videos: List[dict],
                      annotations: List[dict]) -> dict:
    """Write a split's ``<root>/<split>.json`` (official layout) and
    ``<root>/annotations/synthetic_vis_<split>.json`` (CocoVID layout).

    Returns:
        dict: The split's counts of videos, instances and frames.
    """
    official = dict(
        info=dict(description='mmseqformer synthetic VIS'),
        licenses=[],
        videos=videos,
        annotations=annotations,
        categories=categories())
    official_path = os.path.join(root, f'{split}.json')
    with open(official_path, 'w') as f:
        json.dump(official, f)
    cocovid_path = os.path.join(root, 'annotations',
                                f'synthetic_vis_{split}.json')
    with open(cocovid_path, 'w') as f:
        json.dump(official_to_cocovid(official, official_path), f)
    return dict(
        videos=len(videos),
        instances=len(annotations),
        frames=sum(video['length'] for video in videos))


def manifest_if_same(manifest_path: str, wanted: dict, force: bool,
                     what: str) -> Optional[dict]:
    """The manifest at ``manifest_path`` if it was made with the spec
    ``wanted``; None if there is none, or (with ``force``) if it differs;
    otherwise a FileExistsError saying ``what`` is there."""
    if not os.path.isfile(manifest_path):
        return None
    with open(manifest_path) as f:
        manifest = json.load(f)
    if manifest.get('spec') == wanted:
        return manifest
    if not force:
        raise FileExistsError(
            f'{what} made with another spec ({manifest.get("spec")}; see '
            f'{manifest_path}); pass force=True (--force) to replace it')
    return None


def make_synthetic_vis(root: str,
                       spec: SyntheticVISSpec = SyntheticVISSpec(),
                       force: bool = False) -> dict:
    """Write the dataset to ``root`` unless the same one is already there.

    The files are written to a temporary folder beside ``root`` and moved
    into place at the end, so an interrupted run leaves no partial dataset.

    Args:
        root (str): Output folder.
        spec (SyntheticVISSpec): What to generate.
        force (bool): Replace an existing dataset made with another spec.

    Returns:
        dict: The manifest (``spec`` and per-split counts).
    """
    manifest_path = os.path.join(root, 'manifest.json')
    wanted = json.loads(json.dumps(asdict(spec)))
    manifest = manifest_if_same(manifest_path, wanted, force,
                                f'{root} holds a synthetic dataset')
    if manifest is not None:
        return manifest
    if not os.path.isfile(manifest_path) and os.path.exists(
            root) and os.listdir(root) and not force:
        raise FileExistsError(f'{root} exists and is not a synthetic '
                              'dataset; choose another folder')
    parent = os.path.dirname(os.path.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp_root = tempfile.mkdtemp(dir=parent, prefix='.synthetic_vis.')
    try:
        os.makedirs(os.path.join(tmp_root, 'annotations'))
        # Separate generators keep the valid split fixed when the train
        # split's size changes.
        train_rng, valid_rng = (
            np.random.default_rng([spec.seed, part]) for part in (0, 1))
        manifest = dict(
            spec=wanted,
            splits=dict(
                train=_write_split(tmp_root, 'train', spec.num_train_videos,
                                   train_rng, spec),
                valid=_write_split(tmp_root, 'valid', spec.num_valid_videos,
                                   valid_rng, spec)))
        with open(os.path.join(tmp_root, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=2)
        if os.path.exists(root):
            shutil.rmtree(root)
        os.replace(tmp_root, root)
    finally:
        if os.path.exists(tmp_root):
            shutil.rmtree(tmp_root)
    return manifest
