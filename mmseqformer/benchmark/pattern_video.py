"""A synthetic video for benchmarks, drawn frame by frame as it is read."""
from mmseqformer.apis import VideoSource
from .pattern_frames import PatternFrames


class PatternVideo(PatternFrames, VideoSource):
    """:class:`PatternFrames` as a :class:`VideoSource` (a name, 25 fps,
    replayable), for :func:`inference_vis` and :func:`stream_vis`."""

    def __init__(self, num_frames: int, height: int, width: int) -> None:
        super().__init__(num_frames, height, width)
        self.name, self.fps = f'pattern{num_frames}', 25.0
