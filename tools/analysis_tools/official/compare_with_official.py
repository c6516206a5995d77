"""Check that converted official weights give the official outputs.

    python tools/analysis_tools/official/compare_with_official.py \\
        OFFICIAL_CKPT FRAMES.pt OFFICIAL_OUTPUTS.pt [--config CONFIG]

OFFICIAL_CKPT is an official SeqFormer checkpoint (``{'model': ...}``);
FRAMES.pt a float tensor (T, 3, H, W) of normalised frames; and
OFFICIAL_OUTPUTS.pt what the official ``SeqFormer.inference(frames, W, H)``
returned for them with ``model.detr.num_frames = T`` (the official
``inference.py`` path: no padding), saved with ``torch.save``: the dict
with ``pred_logits`` (1, Q, 42), ``pred_boxes`` (1, T, Q, 4),
``pred_masks`` (1, Q, T, H/4, W/4) and, if present, ``aux_outputs``.

The converted checkpoint runs on the same frames on the CPU and every
output is compared (``mmseqformer.benchmark.official_outputs``); the tool
prints the largest differences and exits with status 1 if one exceeds
``--atol`` (mask logits relative to their largest magnitude, mask
probabilities absolutely).
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(
    0,
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

import torch

from mmseqformer.benchmark.official_outputs import (build_converted_model,
                                                    compare_outputs)
from mmseqformer.utils import (InputFormatError, read_checkpoint, read_config,
                               read_torch_file, report_user_errors)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='official checkpoint')
    parser.add_argument('frames', help='(T, 3, H, W) normalised frames')
    parser.add_argument('official_outputs', help='official outputs (.pt)')
    parser.add_argument('--config', default='configs/seqformer_r50.py')
    parser.add_argument('--atol', type=float, default=1e-4)
    parser.add_argument(
        '--float64',
        action='store_true',
        help='run our model in float64 (for official outputs computed in '
        'float64: the differences left are then the algorithms\')')
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    # Every input is read (and refused in one line) before the long work.
    read_checkpoint(args.checkpoint)
    frames = read_torch_file(args.frames, what='frames file')
    official = read_torch_file(
        args.official_outputs, what='official outputs file')
    if not isinstance(frames, torch.Tensor) or frames.dim() != 4:
        raise InputFormatError(args.frames, 'not a (T, 3, H, W) tensor')
    config = read_config(args.config).filename
    dtype = torch.float64 if args.float64 else torch.float32
    model = build_converted_model(config, args.checkpoint)
    frames = frames.to(dtype)
    try:
        compared = compare_outputs(model.to(dtype), frames, official)
    except ValueError as error:
        sys.exit(f'error: {args.official_outputs}: {error}')
    for name, shape, difference, _ in compared:
        print(f'{name:<32} {shape!s:<24} max |ours - official| = '
              f'{difference:.2e}')
    worst = max(difference for _, _, difference, counts in compared if counts)
    print(f'largest difference {worst:.2e} (tolerance {args.atol:g})')
    sys.exit(0 if worst <= args.atol else 1)


if __name__ == '__main__':
    main()
