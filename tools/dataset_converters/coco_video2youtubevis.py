"""Convert COCO-format per-frame video annotations to YouTube-VIS.

    python tools/dataset_converters/coco_video2youtubevis.py \
        annotations/instances_default.json data/my_vis/train.json \
        [--track-field attributes.track_id] [--video-from-folder] \
        [--frame-field frame_id | --frame-from-file-name] [--ignore-iscrowd]

Reads mmdet's CocoVID files (``videos``, ``video_id``, ``frame_id``,
``instance_id``), CVAT's COCO exports of video tasks (track in
``attributes.track_id``, one video per folder of the file names) and files
with ``track_id`` on each annotation; by default the fields are found from
the first image and annotation. Writes the official YouTube-VIS layout with
the same ``file_names``, so the frames stay where they are. A problem stops
the conversion with the file and the entry named. See
docs/user_guides/your_own_data.md.
"""
import argparse
import json
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.datasets.converters import (FRAME_FIELDS, TRACK_FIELDS,
                                             CocoVideoFields,
                                             coco_video_to_ytvis)
from mmseqformer.datasets.ytvis_format import load_json_file
from mmseqformer.utils import atomic_output_path, report_user_errors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('coco_json', help='COCO-format video annotations')
    parser.add_argument('out_json', help='YouTube-VIS output file')
    parser.add_argument(
        '--track-field',
        help='annotation field of the track id, dotted for nested fields '
        f'(default: the first of {", ".join(TRACK_FIELDS)} present)')
    video = parser.add_mutually_exclusive_group()
    video.add_argument(
        '--video-field',
        help='image field of the video id (default: video_id if present, '
        'else the folder of file_name)')
    video.add_argument(
        '--video-from-folder',
        action='store_true',
        help='one video per folder of file_name, even with video ids')
    frame = parser.add_mutually_exclusive_group()
    frame.add_argument(
        '--frame-field',
        help='image field of the frame index (default: the first of '
        f'{", ".join(FRAME_FIELDS)} present, else file-name order)')
    frame.add_argument(
        '--frame-from-file-name',
        action='store_true',
        help='order frames by file name, even with frame indices')
    parser.add_argument(
        '--ignore-iscrowd',
        action='store_true',
        help='write iscrowd 0 for every track (CVAT marks brush masks as '
        'crowd)')
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    fields = CocoVideoFields(
        track=args.track_field,
        video=args.video_field,
        frame=args.frame_field,
        video_from_folder=args.video_from_folder,
        frame_from_file_name=args.frame_from_file_name)
    ytvis = coco_video_to_ytvis(
        load_json_file(args.coco_json), args.coco_json, fields,
        args.ignore_iscrowd)
    with atomic_output_path(args.out_json) as tmp_path:
        with open(tmp_path, 'w') as f:
            json.dump(ytvis, f)
    print(f'{args.out_json}: {len(ytvis["videos"])} videos, '
          f'{sum(video["length"] for video in ytvis["videos"])} frames, '
          f'{len(ytvis["annotations"])} instances, '
          f'{len(ytvis["categories"])} categories')


if __name__ == '__main__':
    main()
