"""Lazy frame sources: a video file, a folder of frames or arrays.

Frames are decoded one at a time as they are iterated, so a long video never
sits in memory; a source can be iterated again (the demo reads the video
twice: once to predict, once to draw).
"""
import os
import os.path as osp
import re
import warnings
from typing import Iterator, List, Optional, Sequence, Union

import cv2
import numpy as np

from ..datasets.transforms.frame_loading import (FrameFileError,
                                                 check_frame_file)

#: File name suffixes read as videos and as frames.
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                  '.mpeg', '.wmv')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class VideoSource:
    """Frames of one video, as BGR ``uint8`` arrays (H, W, 3).

    Attributes:
        name (str): A name for messages and results (file or folder name).
        fps (float): Frames per second (25 when the source has none).
        announced_frames (int, optional): The frame count a container
            announces, for sources that have one (video files).
    """
    name: str = 'video'
    fps: float = 25.0
    announced_frames: Optional[int] = None

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TruncatedVideoWarning(UserWarning):
    """Fewer frames decoded than the video file announces."""


class VideoFileSource(VideoSource):
    """An mp4/avi/... file read with OpenCV.

    Iteration yields the frames that really decode. ``len()`` is the
    container's frame count (``announced_frames``), which some files get
    wrong, until a complete pass has decoded the video; from then on it is
    the number of frames that decoded (``decoded_frames``). A pass that
    decodes fewer frames than announced (a truncated file) warns with both
    counts (:class:`TruncatedVideoWarning`).
    """

    def __init__(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'video file not found: {path}')
        self.path = path
        self.name = osp.splitext(osp.basename(path))[0]
        capture = self._open()
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        self.announced_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.decoded_frames: Optional[int] = None
        capture.release()

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise ValueError(f'{self.path}: OpenCV cannot open this video')
        return capture

    def __iter__(self) -> Iterator[np.ndarray]:
        capture = self._open()
        decoded = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                decoded += 1
                yield frame
        finally:
            capture.release()
        # Reached only when the pass was complete (not closed early).
        self._record_decoded(decoded)

    def _record_decoded(self, decoded: int) -> None:
        if decoded < self.announced_frames and self.decoded_frames is None:
            warnings.warn(
                f'{self.path}: the file announces {self.announced_frames} '
                f'frames but only {decoded} decoded (truncated or damaged?); '
                f'only those {decoded} frames are used',
                TruncatedVideoWarning,
                stacklevel=3)
        self.decoded_frames = decoded

    def __len__(self) -> int:
        if self.decoded_frames is not None:
            return self.decoded_frames
        return self.announced_frames


def _natural_key(name: str) -> List:
    """'img10.jpg' after 'img9.jpg'."""
    return [int(s) if s.isdigit() else s for s in re.split(r'(\d+)', name)]


class FrameFolderSource(VideoSource):
    """A folder of image files, in natural name order.

    Every file's size and image header are checked when the source is made,
    and a file that does not decode is named when it is read
    (:class:`~mmseqformer.datasets.transforms.FrameFileError`, with the
    frame index and path).
    """

    def __init__(self, folder: str, fps: float = 25.0) -> None:
        names = sorted((name for name in os.listdir(folder)
                        if name.lower().endswith(IMAGE_SUFFIXES)),
                       key=_natural_key)
        if not names:
            raise ValueError(
                f'{folder}: no image files ({", ".join(IMAGE_SUFFIXES)})')
        self.folder = folder
        self.files = [osp.join(folder, name) for name in names]
        self.name = osp.basename(osp.normpath(folder))
        self.fps = fps
        for index, path in enumerate(self.files):
            problem = check_frame_file(path)
            if problem is not None:
                raise FrameFileError(f'{folder}: frame {index} ({path}) '
                                     f'{problem}')

    def __iter__(self) -> Iterator[np.ndarray]:
        for index, path in enumerate(self.files):
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                raise FrameFileError(f'{self.folder}: frame {index} ({path}) '
                                     'cannot be read or decoded')
            yield frame

    def __len__(self) -> int:
        return len(self.files)


class ArraySource(VideoSource):
    """Frames already in memory: (T, H, W, 3) or a list of (H, W, 3), BGR."""

    def __init__(self,
                 frames: Union[np.ndarray, Sequence[np.ndarray]],
                 name: str = 'video',
                 fps: float = 25.0) -> None:
        self.frames = frames
        self.name = name
        self.fps = fps
        for index, frame in enumerate(frames):
            if not (isinstance(frame, np.ndarray) and frame.ndim == 3
                    and frame.shape[2] == 3):
                raise ValueError(
                    f'{name}: frame {index} must be an (H, W, 3) array, got '
                    f'{getattr(frame, "shape", type(frame).__name__)}')

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)


def open_video_source(
    video: Union[str, VideoSource, np.ndarray, Sequence[np.ndarray]]
) -> VideoSource:
    """A :class:`VideoSource` for a video file, a folder of frames, a
    (T, H, W, 3) array or a list of (H, W, 3) arrays (BGR)."""
    if isinstance(video, VideoSource):
        return video
    if isinstance(video, (str, os.PathLike)):
        path = os.fspath(video)
        if osp.isdir(path):
            return FrameFolderSource(path)
        if not osp.exists(path):
            raise FileNotFoundError(f'no such video file or folder: {path}')
        if not path.lower().endswith(VIDEO_SUFFIXES):
            raise ValueError(f'{path}: not a video file '
                             f'({", ".join(VIDEO_SUFFIXES)}) or a folder')
        return VideoFileSource(path)
    return ArraySource(video)
