"""Write the small synthetic YouTube-VIS-format dataset (seconds on a CPU).

    python tools/dataset_converters/make_synthetic_vis.py data/synthetic_vis

Re-running with the same arguments keeps the existing files. With
``--long-videos N`` it also adds the split ``valid_long``: N videos of
``--long-frames`` frames whose objects leave the view and come back
(``mmseqformer.datasets.synthetic.long_videos``), leaving the other splits'
files as they are:

    python tools/dataset_converters/make_synthetic_vis.py data/synthetic_vis \
        --seed 0 --long-videos 8 --long-frames 200

``--long-split NAME --long-seed N`` writes other long splits beside it
(``train_long`` of seed 1 for tuning the causal modes, ``test_long`` of
seed 2 as the held-out check).

With ``--images N`` it adds the split ``train_images``: N still images in
the COCO layout for image pretraining (pseudo clips,
``mmseqformer.datasets.synthetic.still_images``).
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.datasets.synthetic import (LONG_SPLIT, LongSyntheticVISSpec,
                                            SyntheticImagesSpec,
                                            SyntheticVISSpec, make_long_videos,
                                            make_still_images,
                                            make_synthetic_vis)
from mmseqformer.utils import UserInputError, report_user_errors


def parse_args() -> argparse.Namespace:
    defaults = SyntheticVISSpec()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='folder to write the dataset to')
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument(
        '--num-train-videos', type=int, default=defaults.num_train_videos)
    parser.add_argument(
        '--num-valid-videos', type=int, default=defaults.num_valid_videos)
    parser.add_argument('--max-frames', type=int, default=defaults.max_frames)
    parser.add_argument(
        '--max-objects', type=int, default=defaults.max_objects)
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace a dataset made with other arguments')
    long_defaults = LongSyntheticVISSpec()
    parser.add_argument(
        '--long-videos',
        type=int,
        default=0,
        help='also write this many long videos whose objects leave the view '
        'and come back, as the split --long-split (0: none)')
    parser.add_argument(
        '--long-split',
        default=LONG_SPLIT,
        help='name of the long-video split (train_long, valid_long and '
        'test_long in the docs, each of its own --long-seed)')
    parser.add_argument(
        '--long-seed',
        type=int,
        default=None,
        help='seed of the long videos (default: --seed)')
    parser.add_argument(
        '--long-frames',
        type=int,
        default=long_defaults.num_frames,
        help='frames of every long video')
    image_defaults = SyntheticImagesSpec()
    parser.add_argument(
        '--images',
        type=int,
        default=0,
        help='also write this many still images (COCO layout) for image '
        'pretraining, as the split train_images (0: none)')
    parser.add_argument(
        '--image-max-objects',
        type=int,
        default=image_defaults.max_objects,
        help='most objects per still image')
    return parser.parse_args()


# FileExistsError: OUT_DIR holds other data, or a dataset of other
# arguments without --force.
@report_user_errors(FileExistsError)
def main() -> None:
    args = parse_args()
    if osp.exists(args.out_dir) and not osp.isdir(args.out_dir):
        raise UserInputError(args.out_dir, 'exists and is not a folder')
    spec = SyntheticVISSpec(
        seed=args.seed,
        num_train_videos=args.num_train_videos,
        num_valid_videos=args.num_valid_videos,
        max_frames=args.max_frames,
        max_objects=args.max_objects)
    manifest = make_synthetic_vis(args.out_dir, spec, force=args.force)
    if args.long_videos:
        long_spec = LongSyntheticVISSpec(
            seed=args.seed if args.long_seed is None else args.long_seed,
            num_videos=args.long_videos,
            num_frames=args.long_frames,
            max_objects=args.max_objects)
        manifest['splits'].update(
            make_long_videos(
                args.out_dir,
                long_spec,
                force=args.force,
                split=args.long_split)['splits'])
    if args.images:
        images_spec = SyntheticImagesSpec(
            seed=args.seed,
            num_images=args.images,
            max_objects=args.image_max_objects)
        manifest['splits'].update(
            make_still_images(args.out_dir, images_spec,
                              force=args.force)['splits'])
    for split, counts in manifest['splits'].items():
        what = (f'{counts["images"]} images' if 'images' in counts else
                f'{counts["videos"]} videos, {counts["frames"]} frames')
        print(f'{args.out_dir} {split}: {what}, '
              f'{counts["instances"]} instances')


if __name__ == '__main__':
    main()
