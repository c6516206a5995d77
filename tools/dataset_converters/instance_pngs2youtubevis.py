"""Convert folders of per-frame instance-id PNGs to YouTube-VIS.

    python tools/dataset_converters/instance_pngs2youtubevis.py \
        data/my_vos/Annotations data/my_vos/JPEGImages \
        data/my_vos/train.json [--mapping data/my_vos/mapping.json]

PNG_ROOT holds one folder per video and one PNG per frame (DAVIS / VOS
style: pixel value = instance id, 0 = background; 8-bit palette or
grayscale, or 16-bit); FRAMES_ROOT holds the frames with the same folder
and file names (any image extension). The mapping (default:
PNG_ROOT/mapping.json) gives each instance id its category, globally or per
video. See docs/user_guides/your_own_data.md.
"""
import argparse
import json
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.datasets.converters import (MAPPING_FILE,
                                             instance_pngs_to_ytvis,
                                             parse_instance_mapping)
from mmseqformer.datasets.ytvis_format import load_json_file
from mmseqformer.utils import atomic_output_path, report_user_errors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('png_root', help='one folder of PNGs per video')
    parser.add_argument('frames_root', help='one folder of frames per video')
    parser.add_argument('out_json', help='YouTube-VIS output file')
    parser.add_argument(
        '--mapping',
        help=f'id -> category JSON (default: PNG_ROOT/{MAPPING_FILE})')
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    mapping_path = args.mapping or osp.join(args.png_root, MAPPING_FILE)
    mapping = parse_instance_mapping(
        load_json_file(mapping_path), mapping_path)
    ytvis = instance_pngs_to_ytvis(args.png_root, args.frames_root, mapping)
    with atomic_output_path(args.out_json) as tmp_path:
        with open(tmp_path, 'w') as f:
            json.dump(ytvis, f)
    print(f'{args.out_json}: {len(ytvis["videos"])} videos, '
          f'{sum(video["length"] for video in ytvis["videos"])} frames, '
          f'{len(ytvis["annotations"])} instances, '
          f'{len(ytvis["categories"])} categories')


if __name__ == '__main__':
    main()
