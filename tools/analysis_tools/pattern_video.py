"""A synthetic video for benchmarks, drawn frame by frame as it is read."""
from typing import Iterator

import numpy as np

from mmseqformer.apis import VideoSource


class PatternVideo(VideoSource):
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
        self.name, self.fps = f'pattern{num_frames}', 25.0

    def __iter__(self) -> Iterator[np.ndarray]:
        for t in range(self.num_frames):
            frame = self.texture.copy()
            x = (7 * t) % (self.width - self.width // 4)
            frame[self.height // 4:self.height // 2,
                  x:x + self.width // 4] = (40, 200, 230)
            yield frame

    def __len__(self) -> int:
        return self.num_frames
