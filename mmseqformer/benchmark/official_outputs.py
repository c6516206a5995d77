"""Converted official weights against the official outputs, tensor by
tensor (``tools/analysis_tools/official/compare_with_official.py``).

The official checkpoint is converted with our converter, loaded strictly
into the config's model and run on the official input frames; every
output (per-layer class logits and boxes, the last layer's mask logits) is
compared with what the official ``SeqFormer.inference`` returned.
"""
from typing import List, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseqformer.models.utils import (check_state_dict_fits,
                                      official_to_mmseqformer)
from mmseqformer.models.utils.official_checkpoint import YTVIS_CLASS_ROWS


def build_converted_model(config: str, checkpoint: str) -> torch.nn.Module:
    """The config's model with the converted official ``checkpoint``."""
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


def max_difference(ours: torch.Tensor,
                   theirs: torch.Tensor,
                   scale: float = 1.0) -> float:
    """``max |ours - theirs| / scale``.

    Raises:
        ValueError: The shapes differ.
    """
    if ours.shape != theirs.shape:
        raise ValueError(f'shape {tuple(ours.shape)} (ours) vs '
                         f'{tuple(theirs.shape)} (official)')
    return (ours - theirs).abs().max().item() / scale


def compare_outputs(model: torch.nn.Module, frames: torch.Tensor,
                    official: dict) -> List[Tuple[str, tuple, float, bool]]:
    """Run ``model`` on ``frames`` (T, 3, H, W) and compare with the
    official outputs.

    Returns:
        list[tuple]: ``(name, shape, difference, counts)`` per output;
        ``counts`` is False for the absolute mask-logit difference, shown
        for information only (mask logits reach hundreds: they are held to
        the tolerance relative to their largest magnitude, and the mask
        probabilities absolutely).
    """
    num_frames, _, height, width = frames.shape
    with torch.no_grad():
        ours = model(
            frames[None], [video_sample(num_frames, height, width)],
            mode='tensor')
    rows = list(YTVIS_CLASS_ROWS)
    layers = [*official.get('aux_outputs', []), official]
    compared = []

    def compare(name, mine, theirs, scale=1.0, counts=True):
        try:
            difference = max_difference(mine, theirs, scale)
        except ValueError as error:
            raise ValueError(f'{name}: {error}') from None
        compared.append((name, tuple(mine.shape), difference, counts))

    for index, layer in enumerate(layers):
        layer_index = len(ours['cls_scores']) - len(layers) + index
        compare(f'layer {layer_index} class logits',
                ours['cls_scores'][layer_index], layer['pred_logits'][...,
                                                                      rows])
        compare(f'layer {layer_index} boxes', ours['boxes'][layer_index],
                layer['pred_boxes'])
    masks = official['pred_masks']
    scale = max(masks.abs().max().item(), 1.0)
    compare('last layer mask logits', ours['mask_logits'], masks, counts=False)
    compare('last layer mask logits / scale', ours['mask_logits'], masks,
            scale)
    compare('last layer mask probs', ours['mask_logits'].sigmoid(),
            masks.sigmoid())
    return compared
