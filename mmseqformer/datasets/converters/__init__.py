"""Annotation layouts to and from YouTube-VIS: users' own annotations
(docs/user_guides/your_own_data.md) and the official layout to CocoVID.

The command-line tools in ``tools/dataset_converters/`` are thin wrappers
around these functions.
"""
from ...utils.atomic_folder import (atomic_output_folder,
                                    check_replaceable_folder)
from .coco_video_to_ytvis import (FRAME_FIELDS, TRACK_FIELDS, VIDEO_FIELDS,
                                  CocoVideoFields, coco_video_to_ytvis)
from .instance_mapping import InstanceMapping, parse_instance_mapping
from .instance_png import (MAX_8BIT_ID, MAX_16BIT_ID, compose_instance_id_map,
                           count_overlapping_pixels, instance_png_name,
                           read_instance_png, write_instance_png)
from .pngs_to_ytvis import instance_pngs_to_ytvis
from .ytvis_to_cocovid import load_vis_annotations, official_to_cocovid
from .ytvis_to_pngs import MAPPING_FILE, ytvis_to_instance_pngs

__all__ = [
    'atomic_output_folder', 'check_replaceable_folder', 'CocoVideoFields',
    'coco_video_to_ytvis', 'FRAME_FIELDS', 'TRACK_FIELDS', 'VIDEO_FIELDS',
    'InstanceMapping', 'parse_instance_mapping', 'MAX_8BIT_ID', 'MAX_16BIT_ID',
    'compose_instance_id_map', 'count_overlapping_pixels', 'instance_png_name',
    'read_instance_png', 'write_instance_png', 'instance_pngs_to_ytvis',
    'MAPPING_FILE', 'ytvis_to_instance_pngs', 'load_vis_annotations',
    'official_to_cocovid'
]
