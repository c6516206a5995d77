"""Synthetic frames for benchmarks, drawn one by one as they are read.

Only numpy: the official code's children (another environment's Python)
read the same frames.
"""
from typing import Iterator

import numpy as np


class PatternFrames:
    """A lazily drawn video: texture plus a block moving across it.

    The frames are made while the video is iterated, so a long video takes
    no memory (the benchmarks measure the model's memory, not the video's).

    Args:
        num_frames (int): Frames in the video.
        height (int): H of every frame.
        width (int): W of every frame.
    """

    def __init__(self, num_frames: int, height: int, width: int) -> None:
        self.num_frames, self.height, self.width = num_frames, height, width
        self.texture = np.random.default_rng(0).integers(
            0, 160, (height, width, 3), dtype=np.uint8)

    def __iter__(self) -> Iterator[np.ndarray]:
        """BGR ``uint8`` frames (H, W, 3)."""
        for t in range(self.num_frames):
            frame = self.texture.copy()
            x = (7 * t) % (self.width - self.width // 4)
            frame[self.height // 4:self.height // 2,
                  x:x + self.width // 4] = (40, 200, 230)
            yield frame

    def __len__(self) -> int:
        return self.num_frames
