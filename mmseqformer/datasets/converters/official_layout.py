"""Build the official YouTube-VIS layout (one entry per instance) that the
converters write.

The layout is the one :mod:`mmseqformer.datasets.ytvis_format` reads:
``videos`` with ``file_names`` and one annotation per instance whose
``segmentations`` / ``bboxes`` / ``areas`` have one entry per frame, ``null``
where the instance is absent. Boxes and areas are always computed from the
masks, as in the official files.
"""
from typing import Dict, List, Optional, Sequence

import pycocotools.mask as mask_utils


def official_video(video_id: int, file_names: Sequence[str], height: int,
                   width: int) -> dict:
    """A ``videos`` entry."""
    return dict(
        id=video_id,
        width=int(width),
        height=int(height),
        length=len(file_names),
        file_names=list(file_names))


def official_annotation(ann_id: int,
                        video: dict,
                        category_id: int,
                        rles: Sequence[Optional[Dict]],
                        iscrowd: int = 0) -> dict:
    """An ``annotations`` entry for one instance of ``video``.

    Args:
        ann_id (int): The annotation id.
        video (dict): Its video, from :func:`official_video`.
        category_id (int): Its category.
        rles (Sequence[dict | None]): One compressed RLE (``counts`` as
            text) per frame of the video, None where the instance is
            absent.
        iscrowd (int): 1 for a crowd region.
    """
    if len(rles) != video['length']:
        raise ValueError(f'video {video["id"]} has {video["length"]} frames '
                         f'but {len(rles)} masks were given')
    boxes: List[Optional[List[float]]] = []
    areas: List[Optional[float]] = []
    for rle in rles:
        boxes.append(None if rle is None else
                     [float(v) for v in mask_utils.toBbox(rle)])
        areas.append(None if rle is None else float(mask_utils.area(rle)))
    return dict(
        id=ann_id,
        video_id=video['id'],
        category_id=category_id,
        iscrowd=int(iscrowd),
        segmentations=list(rles),
        bboxes=boxes,
        areas=areas,
        width=video['width'],
        height=video['height'],
        length=video['length'])


def official_file(videos: List[dict], annotations: List[dict],
                  categories: List[dict], description: str) -> dict:
    """The whole file, with the ``info`` and ``licenses`` of the official
    ones."""
    return dict(
        info=dict(description=description),
        licenses=[],
        videos=videos,
        annotations=annotations,
        categories=categories)
