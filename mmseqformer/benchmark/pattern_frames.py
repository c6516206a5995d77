"""The benchmarks' video: a static texture with a block moving 7 pixels
per frame, drawn frame by frame (:class:`~mmseqformer.testing.
synthetic_video.MovingBlockVideo`; only numpy, so the official code's
environment reads the same frames)."""
from mmseqformer.testing.synthetic_video import MovingBlockVideo


class PatternFrames(MovingBlockVideo):
    """A ``num_frames`` video of ``height`` x ``width`` frames (see the
    module)."""

    def __init__(self, num_frames: int, height: int, width: int) -> None:
        super().__init__(
            num_frames, (height, width),
            step=7,
            noise_max=160,
            static_background=True)
