"""Frame files that cannot be read are named with their video and frame.

Two checks, one cheap and early, one where the pixels are decoded:

* :func:`check_frame_file` looks at a file's size and image header (no
  decoding: about 15 us a file in the OS cache, 0.03 s for 2000 frames;
  about 0.5 ms a file from a cold disk, against 4 ms to decode a 640x360
  JPEG), so a dataset can refuse an empty or non-image frame when it is
  built instead of in the middle of a long run;
* :class:`LoadVideoFrameFromFile` is mmcv's ``LoadImageFromFile`` whose
  failures (a bare OpenCV assertion, or "failed to load image" without the
  video) name the video, the frame index and the path. It catches what the
  header cannot show: corrupt data behind a valid header.
"""
import os
from typing import Optional

import cv2
from mmcv.transforms import LoadImageFromFile
from mmdet.registry import TRANSFORMS


class FrameFileError(ValueError):
    """A frame file is empty, not an image, or does not decode."""


def check_frame_file(path: str) -> Optional[str]:
    """Why ``path`` cannot be a frame, or None when it looks like one.

    Reads the file's size and its first bytes only (OpenCV's decoder
    signatures: JPEG, PNG, BMP, WebP, TIFF, ...), so a file with a valid
    header and corrupt data passes; that is found when it is decoded.

    Args:
        path (str): A local file path.

    Returns:
        str | None: ``'does not exist'``, ``'is empty (0 bytes)'``, ... or
        None.
    """
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return 'does not exist'
    except OSError as err:
        return f'cannot be read ({err.strerror})'
    if not os.path.isfile(path):
        return 'is not a file'
    if size == 0:
        return 'is empty (0 bytes)'
    if not cv2.haveImageReader(path):
        try:
            with open(path, 'rb') as f:
                head = f.read(8)
        except OSError as err:
            return f'cannot be read ({err.strerror})'
        return (f'is not an image OpenCV can decode ({size} bytes starting '
                f'with {head!r})')
    return None


def describe_frame(results: dict) -> str:
    """``video 3 frame 7 (path)`` from a frame's results, as far as known."""
    parts = []
    if results.get('video_id') is not None:
        parts.append(f'video {results["video_id"]}')
    if results.get('frame_id') is not None:
        parts.append(f'frame {results["frame_id"]}')
    elif results.get('img_id') is not None:
        parts.append(f'image {results["img_id"]}')
    return ' '.join(parts + [f'({results.get("img_path")})'])


@TRANSFORMS.register_module()
class LoadVideoFrameFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with errors naming the video and frame.

    Same arguments and outputs as :class:`mmcv.transforms.LoadImageFromFile`
    (with ``ignore_empty=True``, a frame whose reading raises still gives
    None, as in mmcv). Any other read or decode failure becomes a
    :class:`FrameFileError` such as
    ``video 3 frame 7 (data/.../00035.jpg): cannot be decoded (...)``, with
    the original error chained. ``video_id`` and ``frame_id`` are in every
    frame's results inside a ``TransformBroadcaster`` (mmdet's video
    datasets and ``SeqFormerClipSample`` put them there); an image without
    them is named by ``img_id`` and path.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``results['img']``.

        Args:
            results (dict): One frame's results with ``img_path``.

        Returns:
            dict | None: ``results`` with ``img``, ``img_shape`` and
            ``ori_shape``; None only with ``ignore_empty=True``.
        """
        try:
            return super().transform(results)
        except Exception as err:  # cv2.error, AssertionError, OSError, ...
            problem = check_frame_file(results['img_path']) if os.path.isfile(
                results['img_path']) else None
            raise FrameFileError(f'{describe_frame(results)}: '
                                 f'{problem or "cannot be read or decoded"} '
                                 f'({type(err).__name__}: {err})') from err
