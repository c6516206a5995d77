"""Per-frame predictions while a video plays (online, window, clip modes).

:func:`causal_frame_predictions` reads a source as fast as the mode decides
frames (one frame at a time for ``online`` and ``window``, a clip's new
frames for ``clips``) and yields each decided frame before reading more.
:func:`mmseqformer.apis.stream_vis` is the public entry point.
"""
from dataclasses import dataclass
from typing import Dict, Iterator, Optional

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import nn

from ..models.vis.causal_inference import (CausalInference, ClipInference,
                                           OnlineInference, WindowInference)
from .preprocessing import (FrameProgress, build_vis_test_pipeline,
                            preprocess_frames)
from .video_source import FrameReader, VideoSource

#: Inference modes; ``offline`` is the whole video (official).
MODES = ('offline', 'online', 'window', 'clips')
CAUSAL_MODES = dict(
    online=OnlineInference, window=WindowInference, clips=ClipInference)


@dataclass
class FramePrediction:
    """One frame's instances.

    Attributes:
        frame_index (int): The frame's index in the video.
        instances (InstanceData): ``masks`` (k, H, W) bool at the frame's
            size, ``bboxes`` (k, 4) (x1, y1, x2, y2), ``labels``,
            ``scores`` and ``instances_id`` (k, ), ids stable over the
            video.
        image (np.ndarray, optional): The (H, W, 3) BGR frame, for drawing
            (None in the offline mode, which decides frames after the end).
    """
    frame_index: int
    instances: InstanceData
    image: Optional[np.ndarray] = None


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')


def build_causal_inference(model: nn.Module, mode: str,
                           **mode_options) -> CausalInference:
    """The inference of an ``online``, ``window`` or ``clips`` mode, with
    its options (see ``mmseqformer.models.vis.causal_inference``)."""
    check_mode(mode)
    if mode not in CAUSAL_MODES:
        raise ValueError(f'{mode!r} is not a causal mode')
    try:
        return CAUSAL_MODES[mode](model, **mode_options)
    except TypeError as error:
        raise TypeError(f'mode {mode!r}: {error}') from None


@torch.no_grad()
def causal_frame_predictions(model: nn.Module,
                             source: VideoSource,
                             mode: str,
                             progress: bool = False,
                             **mode_options) -> Iterator[FramePrediction]:
    """Frames of ``source`` as the mode decides them, in order.

    Each frame is read only when the mode needs it, and a frame's
    prediction is yielded as soon as it is decided, before the next read.
    """
    inference = build_causal_inference(model, mode, **mode_options)
    pipeline = build_vis_test_pipeline(model.cfg)
    reader = FrameReader(source)
    length = source.known_length()
    bar = FrameProgress(progress, length)
    images: Dict[int, np.ndarray] = {}  # read, not yet decided
    while True:
        first_frame = reader.count
        frames = reader.read(inference.frames_wanted())
        if frames:
            images.update(enumerate(frames, first_frame))
            inputs, data_sample = preprocess_frames(model, pipeline, frames,
                                                    first_frame, length)
            decided = inference.push(inputs, data_sample)
        else:
            decided = inference.flush()
        for frame_index, instances in decided:
            bar.advance(1)
            yield FramePrediction(frame_index, instances,
                                  images.pop(frame_index))
        if not frames:
            break
    if reader.count == 0:
        raise ValueError(f'{source.name}: the video has no frames')
