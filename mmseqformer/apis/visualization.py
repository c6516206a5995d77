"""Draw a :class:`VideoPrediction` onto its video: an mp4, or a strip of
a few frames (a PNG).

Frames are drawn by :class:`~mmseqformer.visualization.VideoInstanceVisualizer`
(the config's ``visualizer``): each instance keeps its colour over the video,
its mask filled and outlined, labelled beside it with its class name, id and
score. Frames whose shorter side is below 480 pixels are drawn upscaled, so
the drawn frames (and the mp4) may be larger than the video.
"""
import contextlib
import copy
from typing import Callable, Iterator, Optional, Union

import cv2
import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from torch import nn

from ..utils import atomic_output_path
from ..visualization import compose_grid, evenly_spaced
from .video_prediction import VideoPrediction
from .video_source import open_video_source

#: The visualiser drawn with when the config names mmdet's default one.
VIDEO_VISUALIZER = 'VideoInstanceVisualizer'


def build_video_visualizer(model: nn.Module):
    """The config's visualiser, drawing in memory only (no backends).

    A config without one, or naming mmdet's ``TrackLocalVisualizer`` (the
    configs of earlier versions), gets :data:`VIDEO_VISUALIZER` with the
    same options.
    """
    cfg = copy.deepcopy(
        model.cfg.get('visualizer', None) or dict(type=VIDEO_VISUALIZER))
    if cfg.get('type') in ('TrackLocalVisualizer',
                           'mmdet.TrackLocalVisualizer'):
        cfg['type'] = VIDEO_VISUALIZER
    cfg['vis_backends'] = None
    # Visualisers are named singletons: one name per model object.
    cfg['name'] = f'mmseqformer_video_{id(model)}'
    visualizer = VISUALIZERS.build(cfg)
    visualizer.dataset_meta = model.dataset_meta
    return visualizer


def draw_instances(visualizer, frame: np.ndarray, instances: InstanceData,
                   score_thr: float) -> np.ndarray:
    """One BGR frame (H, W, 3) with its instances (``pred_track_instances``
    of a frame: ``masks`` (N, H, W), ``bboxes`` (N, 4), ``labels``,
    ``scores``, ``instances_id`` (N, )) scoring at least ``score_thr``
    drawn.

    Returns:
        np.ndarray: (H', W', 3) BGR; larger than the frame when the
        visualiser upscales small frames (shorter side below 480).
    """
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
    """One BGR frame (H, W, 3) with frame ``index``'s instances drawn, as
    :func:`draw_instances` ((H', W', 3), maybe upscaled)."""
    return draw_instances(visualizer, frame, prediction.frame_instances(index),
                          score_thr)


@contextlib.contextmanager
def open_mp4_writer(out_file: str, fps: float) -> Iterator[Callable]:
    """A function writing BGR frames to ``out_file`` (mp4, MPEG-4 part 2);
    the file appears only when the block ends without an error.

    The video's size is the first frame's; every frame must have it.

    Yields:
        Callable[[np.ndarray], None]: writes one (H, W, 3) frame.
    """
    with atomic_output_path(out_file) as tmp_path:
        writer = None
        height = width = None

        def write(frame: np.ndarray) -> None:
            nonlocal writer, height, width
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(tmp_path,
                                         cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                         (width, height))
                if not writer.isOpened():
                    raise RuntimeError(
                        f'{out_file}: OpenCV cannot write an mp4 here')
            elif frame.shape[:2] != (height, width):
                raise ValueError(
                    f'{out_file}: frame of {frame.shape[1]}x'
                    f'{frame.shape[0]} pixels, the video is {width}x{height}')
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


def prediction_strip(prediction: VideoPrediction,
                     video,
                     visualizer,
                     num_frames: int = 6,
                     score_thr: float = 0.3,
                     gap: int = 4) -> np.ndarray:
    """A picture of a few frames: the video above, the predictions below.

    ``num_frames`` frames evenly spaced over the video (first and last
    included; every frame of a shorter video) form the columns; the top
    row holds the frames as they are, resized to the drawn frames' size
    (the visualiser upscales small frames the same way), the bottom row the
    same frames with the instances scoring at least ``score_thr`` drawn.
    Cells are separated by ``gap`` white pixels. Only the chosen frames are
    kept in memory.

    Args:
        prediction (VideoPrediction): The video's prediction.
        video: The video it was made from (anything
            :func:`open_video_source` takes that can be read again).
        visualizer: From :func:`build_video_visualizer`.
        num_frames (int): Columns (at least 1).
        score_thr (float): Lowest score drawn.
        gap (int): Pixels between cells.

    Returns:
        np.ndarray: BGR uint8 (2 * h + gap, n * w + (n - 1) * gap, 3), n
        columns of (h, w) cells.
    """
    source = open_video_source(video)
    chosen = evenly_spaced(len(prediction), num_frames)
    if not chosen:
        raise ValueError(f'{source.name}: the prediction has no frames')
    wanted = set(chosen)
    inputs, drawn = [], []
    for index, frame in enumerate(source):
        if index > chosen[-1]:
            break
        if index not in wanted:
            continue
        picture = draw_frame(visualizer, frame, prediction, index, score_thr)
        inputs.append(_resize_to(frame, picture.shape[:2]))
        drawn.append(picture)
    if len(drawn) < len(chosen):
        raise ValueError(f'{source.name}: {len(drawn)} of the frames '
                         f'{chosen} decoded')
    return compose_grid([inputs, drawn], gap=gap)


def _resize_to(image: np.ndarray, size: Union[tuple, list]) -> np.ndarray:
    """``image`` (H, W, 3) resized linearly to ``size`` (H', W')."""
    if image.shape[:2] == tuple(size):
        return image
    return cv2.resize(
        image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
