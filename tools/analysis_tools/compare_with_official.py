"""Check that converted official weights give the official outputs.

    python tools/analysis_tools/compare_with_official.py \
        OFFICIAL_CKPT FRAMES.pt OFFICIAL_OUTPUTS.pt [--config CONFIG]

OFFICIAL_CKPT is an official SeqFormer checkpoint (``{'model': ...}``);
FRAMES.pt a float tensor (T, 3, H, W) of normalised frames; and
OFFICIAL_OUTPUTS.pt what the official ``SeqFormer.inference(frames, W, H)``
returned for them with ``model.detr.num_frames = T`` (the official
``inference.py`` path: no padding), saved with ``torch.save``: the dict
with ``pred_logits`` (1, Q, 42), ``pred_boxes`` (1, T, Q, 4),
``pred_masks`` (1, Q, T, H/4, W/4) and, if present, ``aux_outputs``.

The checkpoint is converted with our converter, loaded strictly into the
config's model, run on the same frames in float32 on the CPU, and every
output is compared; the script prints the largest differences and exits
with status 1 if one exceeds ``--atol``. Mask logits reach hundreds, so
they are held to ``--atol`` relative to their largest magnitude, and the
mask probabilities (what is thresholded) absolutely.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample, TrackDataSample  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

import mmseqformer  # noqa: E402,F401
from mmseqformer.models.utils import check_state_dict_fits  # noqa: E402
from mmseqformer.models.utils import official_to_mmseqformer  # noqa: E402
from mmseqformer.models.utils.official_checkpoint import (  # noqa: E402
    YTVIS_CLASS_ROWS)


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


def build_converted_model(config: str, checkpoint: str) -> torch.nn.Module:
    init_default_scope('mmdet')
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    ours, _ = official_to_mmseqformer(state.get('model', state))
    check_state_dict_fits(ours, model.state_dict())
    model.load_state_dict(ours, strict=True)
    return model.eval()


def video_sample(num_frames: int, height: int, width: int) -> TrackDataSample:
    """Metadata of an unpadded video (official inference pads nothing)."""
    frames = []
    for index in range(num_frames):
        frame = DetDataSample()
        frame.set_metainfo(
            dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                batch_input_shape=(height, width),
                pad_shape=(height, width),
                frame_id=index))
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return sample


def compare(name: str,
            ours: torch.Tensor,
            theirs: torch.Tensor,
            scale: float = 1.0) -> float:
    if ours.shape != theirs.shape:
        raise SystemExit(f'{name}: shape {tuple(ours.shape)} (ours) vs '
                         f'{tuple(theirs.shape)} (official)')
    diff = (ours - theirs).abs().max().item() / scale
    print(f'{name:<28} {tuple(ours.shape)!s:<24} max |ours - official|'
          f'{"" if scale == 1 else " / scale"} = {diff:.2e}')
    return diff


def main() -> None:
    args = parse_args()
    model = build_converted_model(args.config, args.checkpoint)
    dtype = torch.float64 if args.float64 else torch.float32
    model = model.to(dtype)
    frames = torch.load(args.frames).to(dtype)
    official = torch.load(args.official_outputs, weights_only=False)
    num_frames, _, height, width = frames.shape
    with torch.no_grad():
        ours = model(
            frames[None], [video_sample(num_frames, height, width)],
            mode='tensor')
    rows = list(YTVIS_CLASS_ROWS)
    layers = [*official.get('aux_outputs', []), official]
    worst = 0.0
    for index, layer in enumerate(layers):
        layer_index = len(ours['cls_scores']) - len(layers) + index
        worst = max(
            worst,
            compare(f'layer {layer_index} class logits',
                    ours['cls_scores'][layer_index],
                    layer['pred_logits'][..., rows]),
            compare(f'layer {layer_index} boxes', ours['boxes'][layer_index],
                    layer['pred_boxes']))
    masks = official['pred_masks']
    scale = max(masks.abs().max().item(), 1.0)
    print(f'(mask logits reach {scale:.0f}: float32 rounding alone is '
          f'{scale * 2**-23:.1e} there)')
    compare('last layer mask logits', ours['mask_logits'], masks)
    worst = max(
        worst,
        compare('last layer mask logits', ours['mask_logits'], masks, scale),
        compare('last layer mask probs', ours['mask_logits'].sigmoid(),
                masks.sigmoid()))
    print(f'largest difference {worst:.2e} (tolerance {args.atol:g})')
    sys.exit(0 if worst <= args.atol else 1)


if __name__ == '__main__':
    main()
