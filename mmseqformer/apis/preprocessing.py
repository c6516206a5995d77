"""Frames as arrays -> the model's input, through the config's test
pipeline (the same resize and normalisation as ``tools/test.py``)."""
import copy
from typing import List, Optional, Tuple

import numpy as np
from mmcv.transforms import Compose
from mmdet.structures import TrackDataSample
from mmengine.config import Config
from mmengine.utils import ProgressBar
from torch import Tensor, nn

#: Test-pipeline steps that read files; arrays replace them.
FILE_STEPS = ('LoadImageFromFile', 'LoadVideoFrameFromFile',
              'LoadTrackAnnotations', 'LoadAnnotations')


def build_vis_test_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline, reading frames from arrays.

    The file-loading steps of its ``TransformBroadcaster`` are replaced by
    ``LoadImageFromNDArray``; resizing and packing stay as configured.
    """
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    broadcaster = pipeline[0]
    if broadcaster['type'] != 'TransformBroadcaster':
        raise ValueError('the test pipeline must start with a '
                         'TransformBroadcaster (as mmdet VIS configs do)')
    broadcaster['transforms'] = [dict(type='LoadImageFromNDArray')] + [
        step
        for step in broadcaster['transforms'] if step['type'] not in FILE_STEPS
    ]
    return Compose(pipeline)


def preprocess_frames(
        model: nn.Module, pipeline: Compose, frames: List[np.ndarray],
        first_frame: int,
        video_length: Optional[int]) -> Tuple[Tensor, TrackDataSample]:
    """Frames -> (1, t, 3, H, W) normalised input and the
    ``TrackDataSample`` of those t frames (not padded with SeqFormer
    configs: ``SeqFormerDataPreprocessor`` pads training batches only).
    ``video_length`` is None for live sources (-1 in the metainfo)."""
    if video_length is None:
        video_length = -1
    frame_ids = list(range(first_frame, first_frame + len(frames)))
    packed = pipeline(
        dict(
            img=list(frames),
            frame_id=frame_ids,
            img_id=frame_ids,
            ori_video_length=[video_length] * len(frames)))
    batch = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        False)
    return batch['inputs'], batch['data_samples'][0]


class FrameProgress:
    """A progress bar over frames (of unknown number for live sources), or
    nothing when ``enabled`` is False."""

    def __init__(self, enabled: bool, total: Optional[int]) -> None:
        self.bar = ProgressBar(total or 0) if enabled else None

    def advance(self, steps: int) -> None:
        if self.bar is not None:
            for _ in range(steps):
                self.bar.update()
