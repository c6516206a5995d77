"""Show a model's predictions on a few frames of a video, in one PNG.

    python tools/demo/video_strip.py INPUT CONFIG CHECKPOINT --out strip.png \
        [--frames 6] [--score-thr 0.3] [--width 1280] [--device cpu] \
        [--cfg-options ...]

INPUT is a video file or a folder of frames. The model segments and tracks
the whole video (offline mode); then ``--frames`` frames evenly spaced over
it (the first and the last included) form the columns of a grid: the
frames as they are in the top row, the same frames with the instances
scoring at least ``--score-thr`` drawn below (filled masks in each track's
colour, labels ``class id | score``). Frames whose shorter side is below
480 pixels are upscaled to it, in both rows; ``--width`` then resizes the
whole picture (for a README, say). The PNG appears only when complete.

Mistakes (a missing input, a config or checkpoint that cannot be read or
does not fit, ``--frames`` below 1, an output folder that does not exist)
stop the tool with one line ``error: <file>: <what>`` (exit status 1).
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import cv2
from mmengine.config import DictAction

from mmseqformer import apis
from mmseqformer.utils import (UserInputError, atomic_output_path,
                               report_user_errors, tune_glibc_malloc)
from mmseqformer.utils.tool_config import add_non_strict_argument

#: What the strip can be written as (OpenCV picks the format by name).
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='video file or folder of frames')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument(
        '--out', required=True, help='output picture (.png or .jpg)')
    parser.add_argument(
        '--frames', type=int, default=6, help='frames shown (columns)')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='lowest score drawn')
    parser.add_argument(
        '--chunk-size',
        type=int,
        default=4,
        help='frames per streaming chunk; 0: whole video in one pass')
    parser.add_argument(
        '--width',
        type=int,
        help='resize the picture to this width (aspect kept), e.g. for a '
        'README; default: as drawn')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    add_non_strict_argument(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
    return parser.parse_args()


def check_arguments(args: argparse.Namespace) -> None:
    """The mistakes found before anything is read."""
    if args.frames < 1:
        raise UserInputError('--frames', f'must be at least 1, got '
                             f'{args.frames}')
    if args.width is not None and args.width < 1:
        raise UserInputError('--width', f'must be at least 1, got '
                             f'{args.width}')
    if not args.out.lower().endswith(IMAGE_SUFFIXES):
        raise UserInputError(
            args.out, f'the output must be a {" or ".join(IMAGE_SUFFIXES)} '
            'file')
    folder = osp.dirname(osp.abspath(args.out))
    if not osp.isdir(folder):
        raise UserInputError(args.out,
                             f'the output folder {folder} does not exist')
    if not osp.exists(args.input):
        raise UserInputError(args.input, 'no such video file or folder')


@report_user_errors()
def main() -> None:
    args = parse_args()
    check_arguments(args)
    tune_glibc_malloc()  # faster CPU inference (mmseqformer.utils)
    source = apis.open_video_source(args.input)
    if not source.replayable:
        raise UserInputError(args.input,
                             'a video file or a folder of frames is needed')
    model = apis.init_vis_model(
        args.config,
        args.checkpoint,
        args.device,
        args.cfg_options,
        strict=not args.non_strict)
    prediction = apis.inference_vis(
        model, source, chunk_size=args.chunk_size or None, progress=True)
    strip = apis.prediction_strip(
        prediction,
        source,
        apis.build_video_visualizer(model),
        num_frames=args.frames,
        score_thr=args.score_thr)
    if args.width is not None and args.width != strip.shape[1]:
        height = max(1, round(strip.shape[0] * args.width / strip.shape[1]))
        strip = cv2.resize(
            strip, (args.width, height), interpolation=cv2.INTER_AREA)
    with atomic_output_path(args.out) as tmp_path:
        if not cv2.imwrite(tmp_path, strip):
            raise UserInputError(args.out,
                                 'OpenCV cannot write the picture here')
    columns = min(args.frames, len(prediction))
    print(f'\nwrote {args.out} ({strip.shape[1]}x{strip.shape[0]} pixels: '
          f'{columns} frames of {source.name}, '
          f'{len(prediction.scores)} instances)')


if __name__ == '__main__':
    main()
