"""The package's one synthetic test video: a bright block moving right over
noise (BGR frames as a video file or camera gives them)."""
from typing import Tuple

import numpy as np


def moving_block_video(num_frames: int = 3,
                       size: Tuple[int, int] = (90, 150),
                       seed: int = 0,
                       step: int = 8,
                       noise_max: int = 120) -> np.ndarray:
    """(T, H, W, 3) uint8 BGR frames: noise in ``[0, noise_max)`` with a
    block of value 230, rows ``2H/9 .. 2H/3`` and ``4W/15`` wide, whose left
    edge starts at ``W/15`` and moves ``step`` pixels per frame (wrapping
    before it leaves the frame)."""
    rng = np.random.default_rng(seed)
    height, width = size
    frames = rng.integers(
        0, noise_max, (num_frames, height, width, 3), dtype=np.uint8)
    block = max(width * 4 // 15, 1)
    for t in range(num_frames):
        left = (width // 15 + step * t) % max(width - block, 1)
        frames[t, height * 2 // 9:height * 2 // 3, left:left + block] = 230
    return frames
