"""Draw a :class:`VideoPrediction` onto its video and write an mp4.

Each instance keeps its colour over the video (mmdet's
``TrackLocalVisualizer`` colours by instance id) and is labelled with its
class name, id and score.
"""
import contextlib
import copy
from typing import Callable, Iterator, Optional

import cv2
import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from torch import nn

from ..utils import atomic_output_path
from .video_prediction import VideoPrediction
from .video_source import open_video_source


def build_video_visualizer(model: nn.Module):
    """The config's visualiser, drawing in memory only (no backends)."""
    cfg = copy.deepcopy(
        model.cfg.get('visualizer', dict(type='TrackLocalVisualizer')))
    cfg['vis_backends'] = None
    # Visualisers are named singletons: one name per model object.
    cfg['name'] = f'mmseqformer_video_{id(model)}'
    visualizer = VISUALIZERS.build(cfg)
    visualizer.dataset_meta = model.dataset_meta
    return visualizer


def draw_instances(visualizer, frame: np.ndarray, instances: InstanceData,
                   score_thr: float) -> np.ndarray:
    """One BGR frame (H, W, 3) with its instances (``pred_track_instances``
    of a frame) drawn."""
    sample = DetDataSample()
    sample.pred_track_instances = instances
    visualizer.add_datasample(
        'frame',
        frame[..., ::-1],  # the visualiser draws RGB
        sample,
        draw_gt=False,
        show=False,
        pred_score_thr=score_thr)
    return np.ascontiguousarray(visualizer.get_image()[..., ::-1])


def draw_frame(visualizer, frame: np.ndarray, prediction: VideoPrediction,
               index: int, score_thr: float) -> np.ndarray:
    """One BGR frame (H, W, 3) with frame ``index``'s instances drawn."""
    return draw_instances(visualizer, frame, prediction.frame_instances(index),
                          score_thr)


@contextlib.contextmanager
def open_mp4_writer(out_file: str, fps: float) -> Iterator[Callable]:
    """A function writing BGR frames to ``out_file`` (mp4, MPEG-4 part 2);
    the file appears only when the block ends without an error.

    Yields:
        Callable[[np.ndarray], None]: writes one (H, W, 3) frame.
    """
    with atomic_output_path(out_file) as tmp_path:
        writer = None

        def write(frame: np.ndarray) -> None:
            nonlocal writer
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(tmp_path,
                                         cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                         (width, height))
                if not writer.isOpened():
                    raise RuntimeError(
                        f'{out_file}: OpenCV cannot write an mp4 here')
            writer.write(frame)

        try:
            yield write
        finally:
            if writer is not None:
                writer.release()


def write_prediction_video(prediction: VideoPrediction,
                           video,
                           out_file: str,
                           visualizer,
                           score_thr: float = 0.3,
                           fps: Optional[float] = None,
                           progress: bool = False) -> int:
    """Draw every frame and write them to ``out_file`` (mp4, MPEG-4 part 2).

    The file appears only when complete. Frames are read lazily again from
    ``video``.

    Returns:
        int: Frames written.
    """
    source = open_video_source(video)
    bar = ProgressBar(len(prediction)) if progress else None
    written = 0
    with open_mp4_writer(out_file, fps or source.fps) as write:
        for index, frame in enumerate(source):
            if index >= len(prediction):
                raise ValueError(
                    f'{source.name}: frame {index} has no prediction '
                    f'(the prediction has {len(prediction)} frames)')
            write(draw_frame(visualizer, frame, prediction, index, score_thr))
            written += 1
            if bar is not None:
                bar.update()
    return written
