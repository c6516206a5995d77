"""Lazy frame sources: a video file, a folder of frames, arrays, any
iterable of frames, a camera or a stream.

Frames are decoded one at a time as they are iterated, so a long video never
sits in memory. Files, folders and arrays can be iterated again (the demo
reads a video twice: once to predict, once to draw); an iterable, a camera
and a stream are read once, and their length is unknown (``len()`` raises,
:meth:`VideoSource.known_length` is None).

A source that cannot be read (no such file, a zero-byte or non-video file,
a folder without frames, a camera that does not open) raises a
:class:`~mmseqformer.utils.UserInputError` naming it (:class:`VideoInputError`
and :class:`FrameFolderError` are also ``ValueError`` s, a missing file a
``FileNotFoundError``): the tools print it as one ``error:`` line.
"""
import itertools
import os
import os.path as osp
import re
import warnings
from typing import Iterable, Iterator, List, Optional, Sequence, Union

import cv2
import numpy as np

from ..datasets.transforms.frame_loading import (FrameFileError,
                                                 check_frame_file)
from ..utils.user_errors import (InputFormatError, InputNotFoundError,
                                 UserInputError)

#: File name suffixes read as videos and as frames.
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                  '.mpeg', '.wmv')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class VideoInputError(InputFormatError):
    """A video file, camera or stream cannot be opened or decoded, or a
    folder holds no frames; the message names it."""


class FrameFolderError(UserInputError, FrameFileError):
    """A frame of a folder of frames is empty, not an image or does not
    decode (a :class:`~mmseqformer.datasets.transforms.FrameFileError`)."""


def check_frame(frame, name: str, index: int) -> np.ndarray:
    """``frame`` if it is an (H, W, 3) array, else a ValueError naming the
    source and the frame."""
    if not (isinstance(frame, np.ndarray) and frame.ndim == 3
            and frame.shape[2] == 3):
        raise ValueError(
            f'{name}: frame {index} must be an (H, W, 3) array, got '
            f'{getattr(frame, "shape", type(frame).__name__)}')
    return frame


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

    #: Whether the frames can be iterated more than once.
    replayable: bool = True

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def known_length(self) -> Optional[int]:
        """The number of frames, or None for a live source."""
        return len(self)


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
            raise InputNotFoundError(path, 'no such video file')
        self.path = path
        self.name = osp.splitext(osp.basename(path))[0]
        capture = self._open()
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        self.announced_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.decoded_frames: Optional[int] = None
        capture.release()

    def _open(self) -> cv2.VideoCapture:
        if osp.getsize(self.path) == 0:
            raise VideoInputError(
                self.path, 'the file is empty (0 bytes), '
                'not a video')
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise VideoInputError(
                self.path, 'OpenCV cannot open this video (not a video, '
                'damaged, or in a format its FFmpeg lacks)')
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
        if decoded == 0:
            raise VideoInputError(
                self.path, 'OpenCV opens it but decodes '
                'no frame (damaged, or not a video)')
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
            raise VideoInputError(
                folder, f'no image files ({", ".join(IMAGE_SUFFIXES)})')
        self.folder = folder
        self.files = [osp.join(folder, name) for name in names]
        self.name = osp.basename(osp.normpath(folder))
        self.fps = fps
        for index, path in enumerate(self.files):
            problem = check_frame_file(path)
            if problem is not None:
                raise FrameFolderError(f'{folder}: frame {index} ({path}) '
                                       f'{problem}')

    def __iter__(self) -> Iterator[np.ndarray]:
        for index, path in enumerate(self.files):
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                raise FrameFolderError(
                    f'{self.folder}: frame {index} ({path}) cannot be read '
                    'or decoded')
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
            check_frame(frame, name, index)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)


class LiveSource(VideoSource):
    """Frames read once, of unknown number: a live source."""
    replayable = False

    def __len__(self) -> int:
        raise TypeError(f'{self.name}: a live source has no known length')

    def known_length(self) -> Optional[int]:
        return None


class IterableSource(LiveSource):
    """Any iterable of (H, W, 3) BGR arrays (a generator, a queue reader),
    read once, each frame only when the model asks for it."""

    def __init__(self,
                 frames: Iterable,
                 name: str = 'stream',
                 fps: float = 25.0) -> None:
        self.frames, self.name, self.fps = frames, name, fps
        self.used = False

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.used:
            raise RuntimeError(f'{self.name}: an iterable of frames can be '
                               'read only once')
        self.used = True
        for index, frame in enumerate(self.frames):
            yield check_frame(frame, self.name, index)


class CaptureSource(LiveSource):
    """A camera (its index) or a stream URL read by OpenCV's
    ``VideoCapture``, until it ends or the reader stops."""

    def __init__(self, device: Union[int, str]) -> None:
        self.device = device
        self.name = f'camera{device}' if isinstance(device,
                                                    int) else str(device)
        capture = self._open()
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        capture.release()

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.device)
        if not capture.isOpened():
            raise VideoInputError(
                self.name, 'OpenCV cannot open this camera '
                'or stream')
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


def open_video_source(
    video: Union[str, int, VideoSource, np.ndarray, Sequence[np.ndarray],
                 Iterable[np.ndarray]]
) -> VideoSource:
    """A :class:`VideoSource` for a video file, a folder of frames, a
    (T, H, W, 3) array, a list of (H, W, 3) arrays (BGR), any other
    iterable of frames, a camera index or a stream URL (``scheme://``)."""
    if isinstance(video, VideoSource):
        return video
    if isinstance(video, int) and not isinstance(video, bool):
        return CaptureSource(video)
    if isinstance(video, str) and '://' in video:
        return CaptureSource(video)
    if isinstance(video, (str, os.PathLike)):
        path = os.fspath(video)
        if osp.isdir(path):
            return FrameFolderSource(path)
        if not osp.exists(path):
            raise InputNotFoundError(path, 'no such video file or folder')
        if not path.lower().endswith(VIDEO_SUFFIXES):
            raise VideoInputError(
                path, f'not a video file ({", ".join(VIDEO_SUFFIXES)}) or a '
                'folder')
        return VideoFileSource(path)
    if isinstance(video, (np.ndarray, list, tuple)):
        return ArraySource(video)
    if isinstance(video, Iterable):
        return IterableSource(video)
    raise TypeError('a video must be a file, a folder, frames, a camera '
                    f'index or a stream URL, got {type(video).__name__}')


class FrameReader:
    """Reads a source's frames in chunks of any size, decoding lazily and
    checking that every frame has the first frame's size.

    Args:
        source (VideoSource): The frames.
    """

    def __init__(self, source: VideoSource) -> None:
        self.source = source
        self.frames = iter(source)
        self.size = None
        self.count = 0  # frames read so far

    def read(self, count: Optional[int]) -> List[np.ndarray]:
        """The next ``count`` frames (all the rest when None); fewer at the
        end, none after it."""
        chunk = list(itertools.islice(self.frames, count))
        for frame in chunk:
            self.size = self.size or frame.shape
            if frame.shape != self.size:
                raise VideoInputError(
                    f'{self.source.name}: frame {self.count} is '
                    f'{frame.shape}, frame 0 is {self.size}; all frames of '
                    'a video must have one size')
            self.count += 1
        return chunk


def iter_frame_chunks(source: VideoSource,
                      chunk_size: Optional[int]) -> Iterator[List[np.ndarray]]:
    """Lists of ``chunk_size`` frames (all frames when None), decoded lazily;
    frames must all have the first frame's size."""
    reader = FrameReader(source)
    while True:
        chunk = reader.read(chunk_size)
        if not chunk:
            return
        yield chunk
