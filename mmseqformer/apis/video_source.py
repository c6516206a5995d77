"""Lazy frame sources: a video file, a folder of frames or arrays.

Frames are decoded one at a time as they are iterated, so a long video never
sits in memory; a source can be iterated again (the demo reads the video
twice: once to predict, once to draw).
"""
import os
import os.path as osp
import re
from typing import Iterator, List, Sequence, Union

import cv2
import numpy as np

#: File name suffixes read as videos and as frames.
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                  '.mpeg', '.wmv')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class VideoSource:
    """Frames of one video, as BGR ``uint8`` arrays (H, W, 3).

    Attributes:
        name (str): A name for messages and results (file or folder name).
        fps (float): Frames per second (25 when the source has none).
    """
    name: str = 'video'
    fps: float = 25.0

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class VideoFileSource(VideoSource):
    """An mp4/avi/... file read with OpenCV.

    ``len()`` is the container's frame count, which some files get wrong;
    iteration yields the frames that really decode.
    """

    def __init__(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'video file not found: {path}')
        self.path = path
        self.name = osp.splitext(osp.basename(path))[0]
        capture = self._open()
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        self.num_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise ValueError(f'{self.path}: OpenCV cannot open this video')
        return capture

    def __iter__(self) -> Iterator[np.ndarray]:
        capture = self._open()
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()

    def __len__(self) -> int:
        return self.num_frames


def _natural_key(name: str) -> List:
    """'img10.jpg' after 'img9.jpg'."""
    return [int(s) if s.isdigit() else s for s in re.split(r'(\d+)', name)]


class FrameFolderSource(VideoSource):
    """A folder of image files, in natural name order."""

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

    def __iter__(self) -> Iterator[np.ndarray]:
        for path in self.files:
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                raise ValueError(f'{path}: not a readable image')
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
