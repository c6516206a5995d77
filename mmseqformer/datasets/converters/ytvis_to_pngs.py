"""YouTube-VIS -> folders of per-frame instance-id PNGs, to inspect or edit.

Output (the input of :mod:`.pngs_to_ytvis`)::

    OUT/<video>/<frame>.png   one per frame in ``file_names``, same names
    OUT/mapping.json          categories, per-video id -> category id,
                              and the video ids (instance_mapping.py)

The instances of a video get ids 1..n in the file's order. Where masks
overlap, the later instance is on top (see :mod:`.instance_png`): the
pixels of the earlier one there are lost, and the summary counts them.
Crowd regions are written as ordinary instances (a PNG has no such flag);
instances without a mask in any frame cannot be written.
"""
import json
import os
from collections import defaultdict
from typing import Dict, List

import numpy as np
import pycocotools.mask as mask_utils

from ...utils.atomic_folder import atomic_output_folder
from ..ytvis_format import VISAnnotationError, is_official_layout
from .coco_video_to_ytvis import coco_video_to_ytvis
from .instance_mapping import InstanceMapping
from .instance_png import (compose_instance_id_map, count_overlapping_pixels,
                           instance_png_name, write_instance_png)
from .ytvis_to_cocovid import official_to_cocovid

#: The mapping file written beside the video folders.
MAPPING_FILE = 'mapping.json'


def _video_folder(video: dict, frames: List[dict], path: str) -> str:
    """The one folder that holds all frames of a video."""
    folders = {os.path.dirname(image['file_name']) for image in frames}
    if len(folders) != 1 or '' in folders:
        raise VISAnnotationError(
            f'{path}: video {video["id"]} has frames in {sorted(folders)}; '
            'the PNG layout needs each video\'s frames in one folder of '
            'their own')
    return folders.pop()


def ytvis_to_instance_pngs(content: dict, path: str, out_root: str) -> dict:
    """Write a YouTube-VIS annotation file as instance-id PNGs.

    Args:
        content (dict): The parsed file, official or CocoVID layout (any
            COCO video file :func:`coco_video_to_ytvis` reads with its
            default fields).
        path (str): Its path, for error messages.
        out_root (str): The output folder, replaced as a whole once
            complete (an existing one must be empty or an earlier output).

    Returns:
        dict: ``videos``, ``frames``, ``instances`` (written),
        ``overlapping_pixels`` (pixels where one instance hides another),
        ``crowd_instances`` (written as ordinary ones) and
        ``empty_instances`` (without a mask in any frame: not written).
    """
    if not is_official_layout(content):
        content = coco_video_to_ytvis(content, path)
    cocovid = official_to_cocovid(content, path)  # checks every entry
    frames_by_video = defaultdict(list)
    for image in cocovid['images']:
        frames_by_video[image['video_id']].append(image)
    anns_by_image = defaultdict(list)
    for ann in cocovid['annotations']:
        anns_by_image[ann['image_id']].append(ann)
    folders: Dict[str, int] = {}
    mapping = InstanceMapping(
        categories=cocovid['categories'], path=MAPPING_FILE)
    summary = dict(
        videos=0,
        frames=0,
        instances=0,
        overlapping_pixels=0,
        crowd_instances=len([
            ann for ann in content.get('annotations') or []
            if ann.get('iscrowd')
        ]),
        empty_instances=len([
            ann for ann in content.get('annotations') or []
            if all(rle is None for rle in ann['segmentations'])
        ]))
    with atomic_output_folder(out_root, MAPPING_FILE) as tmp_root:
        for video in cocovid['videos']:
            frames = sorted(
                frames_by_video[video['id']],
                key=lambda image: image['frame_id'])
            folder = _video_folder(video, frames, path)
            if folder in folders:
                raise VISAnnotationError(
                    f'{path}: videos {folders[folder]} and {video["id"]} '
                    f'both have their frames in "{folder}"')
            folders[folder] = video['id']
            ids = _number_instances(frames, anns_by_image)
            mapping.videos[folder] = {
                ids[ann['instance_id']]: ann['category_id']
                for image in frames for ann in anns_by_image[image['id']]
            }
            mapping.video_ids[folder] = video['id']
            for image in frames:
                anns = sorted(
                    anns_by_image[image['id']],
                    key=lambda ann: ids[ann['instance_id']])
                masks = np.zeros((len(anns), image['height'], image['width']),
                                 dtype=bool)
                for index, ann in enumerate(anns):
                    masks[index] = mask_utils.decode(ann['segmentation'])
                write_instance_png(
                    os.path.join(tmp_root,
                                 instance_png_name(image['file_name'])),
                    compose_instance_id_map(
                        masks, [ids[ann['instance_id']] for ann in anns]),
                    max_id=len(ids))
                summary['overlapping_pixels'] += count_overlapping_pixels(
                    masks)
            summary['videos'] += 1
            summary['frames'] += len(frames)
            summary['instances'] += len(ids)
        with open(os.path.join(tmp_root, MAPPING_FILE), 'w') as f:
            json.dump(mapping.to_json(), f, indent=1)
    return summary


def _number_instances(frames: List[dict],
                      anns_by_image: Dict[int, list]) -> Dict[int, int]:
    """Instance id of the file -> PNG id 1..n, in the file's order."""
    instance_ids = sorted({
        ann['instance_id']
        for image in frames for ann in anns_by_image[image['id']]
    })
    return {
        instance_id: rank
        for rank, instance_id in enumerate(instance_ids, start=1)
    }
