"""The package's one synthetic video: a bright block moving right over a
noisy background, as BGR ``uint8`` frames (what a video file or a camera
gives). Frames are drawn as they are read, so a long video takes no memory.

Only numpy: the official code's environment (benchmarks) reads the same
frames.
"""
from typing import Iterator, Tuple

import numpy as np


class MovingBlockVideo:
    """A block of value 230, rows ``2H/9 .. 2H/3`` and ``4W/15`` wide, whose
    left edge starts at ``W/15`` and moves ``step`` pixels per frame
    (wrapping before it leaves the frame), over noise in
    ``[0, noise_max)``.

    Args:
        num_frames (int): T.
        size (tuple[int, int]): (H, W).
        seed (int): Seed of the noise.
        step (int): Pixels the block moves per frame.
        noise_max (int): Noise values are below it.
        static_background (bool): One noise background for every frame (a
            texture); else fresh noise in each frame.
    """

    def __init__(self,
                 num_frames: int,
                 size: Tuple[int, int] = (90, 150),
                 seed: int = 0,
                 step: int = 8,
                 noise_max: int = 120,
                 static_background: bool = False) -> None:
        self.num_frames = num_frames
        self.height, self.width = size
        self.seed, self.step, self.noise_max = seed, step, noise_max
        self.background = self._noise(np.random.default_rng(seed)) \
            if static_background else None

    def _noise(self, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(
            0, self.noise_max, (self.height, self.width, 3), dtype=np.uint8)

    def frame(self, t: int) -> np.ndarray:
        """Frame ``t``, (H, W, 3)."""
        if self.background is not None:
            frame = self.background.copy()
        else:
            frame = self._noise(np.random.default_rng([self.seed, t]))
        height, width = self.height, self.width
        block = max(width * 4 // 15, 1)
        left = (width // 15 + self.step * t) % max(width - block, 1)
        frame[height * 2 // 9:height * 2 // 3, left:left + block] = 230
        return frame

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self.frame(t) for t in range(self.num_frames))

    def __len__(self) -> int:
        return self.num_frames


def moving_block_video(num_frames: int = 3,
                       size: Tuple[int, int] = (90, 150),
                       seed: int = 0,
                       step: int = 8,
                       noise_max: int = 120) -> np.ndarray:
    """(T, H, W, 3) uint8 frames of :class:`MovingBlockVideo` (fresh noise
    in each frame), all at once."""
    return np.stack(
        list(MovingBlockVideo(num_frames, size, seed, step, noise_max)))
