"""Convert an official SeqFormer checkpoint to mmseqformer, or back.

    python tools/model_converters/seqformer_official_to_mmseqformer.py \
        r50_ytvis.pth seqformer_r50_converted.pth \
        --config configs/seqformer_r50.py
    # COCO-pretrained files (91-class heads, dropped as the official code
    # does before fine-tuning):
    python tools/model_converters/seqformer_official_to_mmseqformer.py \
        r50_weight.pth seqformer_r50_coco_pretrain.pth --coco-pretrained
    # back to the official layout (to compare with the official code):
    python tools/model_converters/seqformer_official_to_mmseqformer.py \
        seqformer_r50_converted.pth r50_again.pth --reverse

With --config the result is loaded strictly into the config's model first;
any unknown, missing or misshapen key stops the conversion with a list. A
source that is missing or not a checkpoint, or a config that is missing or
cannot be read, stops it with one line, ``error: <file>: <what>``.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.models.utils import (CheckpointConversionError,
                                      check_state_dict_fits,
                                      mmseqformer_to_official,
                                      official_to_mmseqformer)
from mmseqformer.utils import (InputFormatError, atomic_output_path,
                               read_checkpoint, read_config,
                               report_user_errors)


def model_state(config: str) -> dict:
    """The state dict of the model a config builds (weights not loaded)."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    import mmseqformer  # noqa: F401  (registers the model)
    init_default_scope('mmdet')
    cfg = read_config(config)
    cfg.model.backbone.init_cfg = None
    return MODELS.build(cfg.model).state_dict()


def forward(args) -> dict:
    checkpoint = read_checkpoint(args.src)
    state = checkpoint.get('model', checkpoint)
    ours, extra = official_to_mmseqformer(
        state, class_rows=None if args.coco_pretrained else range(1, 41))
    if args.config:
        reference = model_state(args.config)
        if args.coco_pretrained:
            reference = {
                k: v
                for k, v in reference.items()
                if '.cls_branches.' not in k and 'frame_weight_fc' not in k
            }
        check_state_dict_fits(ours, reference)
    return dict(
        state_dict=ours,
        meta=dict(official_extra=extra, source=osp.basename(args.src)))


def reverse(args) -> dict:
    checkpoint = read_checkpoint(args.src)
    if 'state_dict' not in checkpoint:
        raise InputFormatError(
            args.src, 'not an mmseqformer checkpoint (no "state_dict"); '
            '--reverse converts the files this tool writes')
    extra = checkpoint.get('meta', {}).get('official_extra')
    return dict(model=mmseqformer_to_official(checkpoint['state_dict'], extra))


@report_user_errors()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='where to write the result')
    parser.add_argument(
        '--config',
        help='check the result against the '
        'model of this config (strict)')
    parser.add_argument(
        '--coco-pretrained',
        action='store_true',
        help='the file is a COCO-pretrained (T=1) model')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help='mmseqformer -> official layout')
    args = parser.parse_args()
    try:
        result = reverse(args) if args.reverse else forward(args)
    except CheckpointConversionError as err:
        sys.exit(f'error: {args.src}: cannot convert:\n{err}')
    with atomic_output_path(args.dst) as tmp_path:
        torch.save(result, tmp_path)
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
