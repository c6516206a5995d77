"""Slim a training checkpoint into weights to publish (and ship).

    python tools/model_converters/publish_model.py \
        work_dirs/demo_model/videos/iter_10000.pth demo.pth --fp16

Keeps ``state_dict`` and ``meta['dataset_meta']`` and drops the optimiser,
scheduler and message-hub state; ``--fp16`` stores floating-point tensors
in float16 (the model casts them back when it loads). The output appears
only when complete; a source that is missing or not a checkpoint stops the
tool with one line, ``error: <file>: <what>``.
"""
import argparse
import os.path as osp
import sys

import torch

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.utils import (CheckpointMismatchError, atomic_output_path,
                               published_checkpoint, read_checkpoint,
                               report_user_errors)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='training checkpoint')
    parser.add_argument('out_file', help='published checkpoint')
    parser.add_argument(
        '--fp16',
        action='store_true',
        help='store floating-point tensors in float16')
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    checkpoint = read_checkpoint(args.in_file)
    try:
        published = published_checkpoint(checkpoint, half=args.fp16)
    except CheckpointMismatchError as err:
        raise CheckpointMismatchError(f'{args.in_file}: {err}') from None
    with atomic_output_path(args.out_file) as tmp_path:
        torch.save(published, tmp_path)
    print(f'wrote {args.out_file} ({len(published["state_dict"])} tensors'
          f'{", float16" if args.fp16 else ""})')


if __name__ == '__main__':
    main()
