"""The one protocol of video inference: frames in, decided frames out.

Every mode (:mod:`.inference_modes`) is a :class:`VideoInference`: the
caller reads :meth:`~VideoInference.frames_wanted` frames, preprocesses
them, :meth:`~VideoInference.push`-es them and gets back the frames they
decided; after the last frame, :meth:`~VideoInference.flush` gives the rest.
A frame's ``latency`` is how many later frames it waits for before it is
decided: 0 for the online and window modes, ``clip_length - 1`` for clips,
None (the whole video) offline.

    >>> video = build_video_inference(model, 'online')
    >>> for frames in chunks:  # frames_wanted() of them at a time
    ...     inputs, data_sample = preprocess_frames(...)
    ...     for frame_index, instances in video.push(inputs, data_sample):
    ...         ...
    >>> for frame_index, instances in video.flush():
    ...     ...

Shape legend: ``t`` frames.
"""
from typing import Iterable, List, Optional, Tuple

from mmdet.structures import TrackDataSample
from mmengine.structures import InstanceData
from torch import Tensor

#: A decided frame: its index in the video and its instances (``masks``
#: (n, H, W) bool, ``bboxes`` (n, 4), ``labels``, ``scores`` and
#: ``instances_id`` (n, ), ids stable over the video).
FrameOutput = Tuple[int, InstanceData]


class VideoInference:
    """Inference on one video in some mode.

    Args:
        model: A model with an inference engine (``model.inference_engine``:
            :class:`SeqFormer`, or an exported model on another backend),
            in eval mode.
        num_frames (int, optional): The video's length when it is known
            (None for a live source).
        amp (bool): The network under autocast (:class:`SeqFormerEngine`).
    """
    #: Frames a frame waits for before it is decided; None: the whole
    #: video.
    latency: Optional[int] = 0

    def __init__(self,
                 model,
                 num_frames: Optional[int] = None,
                 amp: bool = False) -> None:
        self.engine = model.inference_engine(amp=amp)
        self.video_length = num_frames

    def frames_wanted(self) -> Optional[int]:
        """How many frames the next :meth:`push` should bring (None: all
        the rest)."""
        return 1

    def push(self, inputs: Tensor,
             data_sample: TrackDataSample) -> List[FrameOutput]:
        """Add the next frames; return the frames decided by them, in
        order.

        Args:
            inputs (Tensor): (1, t, 3, H, W) preprocessed frames, the size
                of every other frame of the video (not padded at test).
            data_sample (TrackDataSample): The t frames.
        """
        raise NotImplementedError

    def flush(self) -> Iterable[FrameOutput]:
        """The frames still undecided at the end of the video, in order."""
        return []
