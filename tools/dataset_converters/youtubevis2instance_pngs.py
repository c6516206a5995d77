"""Write a YouTube-VIS annotation file as per-frame instance-id PNGs.

    python tools/dataset_converters/youtubevis2instance_pngs.py \
        data/youtube_vis_2019/train.json data/ytvis19_pngs

Writes OUT_DIR/<video>/<frame>.png (the frame's name with .png; pixel value
= instance id 1..n of the video, 0 = background; 8-bit palette PNGs, 16-bit
for videos with more than 255 instances) and OUT_DIR/mapping.json (ids ->
categories, video ids), the input of instance_pngs2youtubevis.py. Where
instances overlap, the later one in the file is on top. OUT_DIR appears only
when complete; an existing one is replaced only if it is empty or an
earlier output. See docs/user_guides/your_own_data.md.
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.datasets.converters import ytvis_to_instance_pngs
from mmseqformer.datasets.ytvis_format import load_json_file
from mmseqformer.utils import report_user_errors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'ann_json', help='YouTube-VIS annotations (official or CocoVID)')
    parser.add_argument('out_dir', help='output folder')
    return parser.parse_args()


# FileExistsError: OUT_DIR is not empty and not an earlier output.
@report_user_errors(FileExistsError)
def main() -> None:
    args = parse_args()
    summary = ytvis_to_instance_pngs(
        load_json_file(args.ann_json), args.ann_json, args.out_dir)
    print(f'{args.out_dir}: {summary["videos"]} videos, {summary["frames"]} '
          f'frames, {summary["instances"]} instances')
    if summary['overlapping_pixels']:
        print(f'note: {summary["overlapping_pixels"]} pixels are covered by '
              'several instances; each shows the later instance only')
    if summary['crowd_instances']:
        print(f'note: {summary["crowd_instances"]} crowd regions are written '
              'as ordinary instances')
    if summary['empty_instances']:
        print(f'note: {summary["empty_instances"]} instances have no mask in '
              'any frame and are not written')


if __name__ == '__main__':
    main()
