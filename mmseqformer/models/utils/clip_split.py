"""Split every training clip into consecutive shorter clips.

With ``SeqFormerHead(clips_per_sample=k)`` a training sample of ``k * T``
frames (sorted in time by the clip sampler) is decoded as ``k`` clips of
``T`` frames, the way the clip mode decodes a video: each clip has its own
instance queries and its own matching, and the association loss compares
the clips of one sample. The encoder runs on every frame on its own, so
only the head sees the split.
"""
import dataclasses
from typing import List

from mmdet.structures import TrackDataSample, TrackSampleList

from .encoded_frames import EncodedFrames


def split_encoded_clips(encoded: EncodedFrames,
                        clips_per_sample: int) -> EncodedFrames:
    """The same frames as ``bs * k`` clips of ``T / k`` frames.

    Frames are folded clip-major, so clip ``b``'s part ``c`` is clip
    ``b * k + c`` of the result; no tensor is copied.

    Args:
        encoded (EncodedFrames): ``bs`` clips of ``T`` frames.
        clips_per_sample (int): ``k``, a divisor of ``T``.
    """
    _check_divides(encoded.num_frames, clips_per_sample)
    return dataclasses.replace(
        encoded,
        num_clips=encoded.num_clips * clips_per_sample,
        num_frames=encoded.num_frames // clips_per_sample)


def split_track_samples(data_samples: TrackSampleList,
                        clips_per_sample: int) -> List[TrackDataSample]:
    """Each sample's frames as ``k`` samples of consecutive frames, in the
    order of :func:`split_encoded_clips`. The parts carry the frames'
    annotations and image metas only (not the clip-level key/reference
    frame indices, which no loss reads)."""
    parts = []
    for sample in data_samples:
        _check_divides(len(sample), clips_per_sample)
        frames = list(sample)
        length = len(frames) // clips_per_sample
        parts += [
            TrackDataSample(video_data_samples=frames[start:start + length])
            for start in range(0, len(frames), length)
        ]
    return parts


def _check_divides(num_frames: int, clips_per_sample: int) -> None:
    if clips_per_sample < 1 or num_frames % clips_per_sample:
        raise ValueError(
            f'a training clip of {num_frames} frames cannot be split into '
            f'{clips_per_sample} clips of equal length; sample a multiple '
            'of clips_per_sample frames (SeqFormerClipSample num_frames)')
