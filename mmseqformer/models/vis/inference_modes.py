"""The modes of video inference and their builder.

- ``offline``: the whole video (official), every frame decided after the
  last (:class:`OfflineVideoInference`);
- ``online``: frame t from frames 0..t (latency 0);
- ``window``: frame t from its last W frames (latency 0);
- ``clips``: clips of k frames overlapping by o (latency k - 1)
  (``causal_inference.py``).
"""
from typing import Optional

from .causal_inference import ClipInference, OnlineInference, WindowInference
from .offline_inference import OfflineVideoInference
from .video_inference import VideoInference

#: Mode name -> its :class:`VideoInference`.
VIDEO_INFERENCES = dict(
    offline=OfflineVideoInference,
    online=OnlineInference,
    window=WindowInference,
    clips=ClipInference)
#: Inference modes; ``offline`` is the whole video (official).
MODES = tuple(VIDEO_INFERENCES)


def check_mode(mode: str) -> None:
    if mode not in VIDEO_INFERENCES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')


def build_video_inference(model,
                          mode: str,
                          num_frames: Optional[int] = None,
                          amp: bool = False,
                          **options) -> VideoInference:
    """The inference of one video in ``mode``.

    Args:
        model: A model with an inference engine (:class:`SeqFormer` or an
            exported model), in eval mode.
        mode (str): One of :data:`MODES`.
        num_frames (int, optional): The video's length, when known.
        amp (bool): The network under autocast.
        **options: The mode's options (its class's arguments).
    """
    check_mode(mode)
    try:
        return VIDEO_INFERENCES[mode](
            model, num_frames=num_frames, amp=amp, **options)
    except TypeError as error:
        raise TypeError(f'mode {mode!r}: {error}') from None
