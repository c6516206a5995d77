"""Convert an official YouTube-VIS / OVIS annotation file to CocoVID.

    python tools/dataset_converters/youtubevis2cocovid.py \
        data/youtube_vis_2019/train.json \
        data/youtube_vis_2019/annotations/youtube_vis_2019_train.json

mmseqformer's dataset reads the official files directly; this converter is
for tools that want mmdet's CocoVID layout. Unlike mmdet's
``youtubevis2coco.py`` it converts every split that has annotations, keeps
any category ids, accepts polygons and uncompressed RLE (OVIS), and stops on
a broken entry with a message naming it.
"""
import argparse
import json
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.datasets.converters.ytvis_to_cocovid import \
    official_to_cocovid
from mmseqformer.datasets.ytvis_format import load_json_file
from mmseqformer.utils import atomic_output_path, report_user_errors


@report_user_errors()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('official_json', help='official-layout input file')
    parser.add_argument('out_json', help='CocoVID output file')
    args = parser.parse_args()
    cocovid = official_to_cocovid(
        load_json_file(args.official_json), args.official_json)
    with atomic_output_path(args.out_json) as tmp_path:
        with open(tmp_path, 'w') as f:
            json.dump(cocovid, f)
    print(f'{args.out_json}: {len(cocovid["videos"])} videos, '
          f'{len(cocovid["images"])} frames, '
          f'{len(cocovid["annotations"])} frame annotations, '
          f'{len(cocovid["categories"])} categories')


if __name__ == '__main__':
    main()
