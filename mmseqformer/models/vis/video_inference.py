"""The one protocol of video inference: frames in, decided frames out.

Every mode is a :class:`VideoInference`, registered under its name in
:data:`VIDEO_INFERENCES` and built by :func:`build_video_inference`:

- ``offline``: the whole video (official), every frame decided after the
  last (``offline_inference.py``);
- ``online``: frame t from frames 0..t (latency 0);
- ``window``: frame t from its last W frames (latency 0);
- ``clips``: clips of k frames overlapping by o (latency k - 1)
  (``causal_inference.py``).

The caller reads :meth:`~VideoInference.frames_wanted` frames, preprocesses
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
import inspect
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Type

from mmdet.structures import TrackDataSample
from mmengine.structures import InstanceData
from torch import Tensor

#: A decided frame: its index in the video and its instances (``masks``
#: (n, H, W) bool, ``bboxes`` (n, 4), ``labels``, ``scores`` and
#: ``instances_id`` (n, ), ids stable over the video).
FrameOutput = Tuple[int, InstanceData]

#: Mode name -> its :class:`VideoInference` (filled by
#: :func:`register_mode` as the modes' modules are imported).
VIDEO_INFERENCES: Dict[str, Type['VideoInference']] = {}
#: Inference modes; ``offline`` is the whole video (official).
MODES = ('offline', 'online', 'window', 'clips')


def register_mode(name: str) -> Callable:
    """Class decorator: register a :class:`VideoInference` as mode
    ``name``."""

    def register(cls: Type['VideoInference']) -> Type['VideoInference']:
        VIDEO_INFERENCES[name] = cls
        return cls

    return register


def check_mode(mode: str) -> None:
    if mode not in VIDEO_INFERENCES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')


#: Constructor arguments of the modes that are not options of a mode
#: (:func:`build_video_inference` passes them).
NOT_OPTIONS = ('self', 'model', 'num_frames', 'amp')


def mode_option_names(mode: str) -> List[str]:
    """The options a mode takes: its class's constructor arguments, its
    bases' included (``chunk_size`` offline, ``window`` for window...)."""
    check_mode(mode)
    names = []
    for klass in VIDEO_INFERENCES[mode].__mro__:
        if '__init__' not in vars(klass):
            continue
        for name, parameter in inspect.signature(
                klass.__init__).parameters.items():
            if parameter.kind == parameter.POSITIONAL_OR_KEYWORD and \
                    name not in NOT_OPTIONS and name not in names:
                names.append(name)
    return names


def build_video_inference(model,
                          mode: str,
                          num_frames: Optional[int] = None,
                          amp: bool = False,
                          **options) -> 'VideoInference':
    """The inference of one video in ``mode``.

    Args:
        model: A model with an inference engine (:class:`SeqFormer` or an
            exported model), in eval mode.
        mode (str): One of :data:`MODES`.
        num_frames (int, optional): The video's length, when known.
        amp (bool): The network under autocast.
        **options: The mode's options (:func:`mode_option_names`).

    Raises:
        TypeError: An option the mode does not take, naming the mode.
    """
    allowed = mode_option_names(mode)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f'mode {mode!r} takes no option {unknown}; its '
                        f'options: {allowed}')
    return VIDEO_INFERENCES[mode](
        model, num_frames=num_frames, amp=amp, **options)


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
