"""What the benchmarks time for our SeqFormer and for mmdet's peer.

Both do what a user's run does: frames (BGR ``uint8``) in, per-frame masks
encoded as RLE out; or one optimiser step of the official recipe
(:mod:`.training_step`). The official code's side is in
:mod:`.official_workloads`.
"""
from typing import Callable, List

import numpy as np
import pycocotools.mask as mask_util
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import init_default_scope
from torch import nn

from mmseqformer.apis import inference_vis, init_vis_model
from mmseqformer.apis.preprocessing import (build_vis_test_pipeline,
                                            preprocess_frames)
from mmseqformer.testing.synthetic_clips import training_batch
from .training_step import training_step

#: How each benchmark mode calls :func:`inference_vis`: ``whole`` (one
#: pass), ``streaming`` (chunks of the benchmark's chunk size) or
#: ``online`` (the online mode).
OUR_MODES = ('whole', 'streaming', 'online')


def build_our_inference_model(config: str, device: str) -> nn.Module:
    return init_vis_model(config, device=device)


def our_video_inference(model: nn.Module, mode: str, chunk_size: int,
                        amp: bool) -> Callable:
    """A function ``video -> prediction`` for ``mode`` (one of
    :data:`OUR_MODES`), in mixed precision when ``amp``."""
    if mode == 'whole':
        options = dict(chunk_size=None)
    elif mode == 'streaming':
        options = dict(chunk_size=chunk_size)
    elif mode == 'online':
        options = dict(mode='online')
    else:
        raise ValueError(f'unknown mode {mode!r}')

    def run(video):
        return inference_vis(model, video, amp=amp, **options)

    return run


def build_our_training_model(config: str, device: str) -> nn.Module:
    """The config's model with random weights (the backbone is not loaded
    from a pretrained file), in training mode."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).train()


def our_num_classes(model: nn.Module) -> int:
    return model.track_head.num_classes


def our_training_step(model: nn.Module, clips: List[dict], device: str,
                      amp: bool) -> Callable[[], dict]:
    """A function that runs one training step and returns the losses."""
    inputs, samples = training_batch(clips, device=device)

    def losses() -> dict:
        return model(inputs, samples, mode='loss')

    return training_step(model, losses, device, amp)


def build_peer_inference_model(config: str, device: str) -> nn.Module:
    """mmdet's ``Mask2FormerVideo`` of ``config``, random weights."""
    # 'mmdet::...' names a config shipped inside mmdet.
    cfg = get_config(config) if '::' in config else Config.fromfile(config)
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.cfg = cfg
    return model.to(device).eval()


def peer_video_inference(model: nn.Module) -> Callable[[object], list]:
    """A function ``video -> RLEs``: mmdet's VIS test path for one video
    (its test pipeline on the frames as arrays, the data preprocessor, one
    ``predict`` over the whole video, as ``tools/test.py`` runs it), each
    frame's instance masks RLE-encoded."""
    pipeline = build_vis_test_pipeline(model.cfg)

    def run(video) -> list:
        frames = list(video)
        inputs, sample = preprocess_frames(model, pipeline, frames, 0,
                                           len(frames))
        result = model.predict(inputs, [sample], rescale=True)[0]
        return [[
            mask_util.encode(np.asfortranarray(mask)) for mask in
            frame.pred_track_instances.masks.cpu().numpy().astype(np.uint8)
        ] for frame in result]

    return run
