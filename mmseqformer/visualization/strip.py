"""Pictures made of several frames: which frames, and how they are laid
out (the strips of ``tools/demo/video_strip.py``)."""
from typing import List, Sequence

import cv2
import numpy as np


def evenly_spaced(total: int, count: int) -> List[int]:
    """``count`` frame indices spread evenly over ``total`` frames, the
    first and the last included; every frame when ``count >= total``.

    Args:
        total (int): Frames in the video.
        count (int): Frames wanted (at least 1).

    Returns:
        list[int]: Increasing, distinct indices in ``[0, total)``.
    """
    if count < 1:
        raise ValueError(f'at least one frame must be picked, got {count}')
    if total <= count:
        return list(range(total))
    return [int(index) for index in np.rint(np.linspace(0, total - 1, count))]


def compose_grid(rows: Sequence[Sequence[np.ndarray]],
                 gap: int = 4,
                 background: int = 255) -> np.ndarray:
    """One picture with the images of ``rows`` on a grid, ``gap`` pixels of
    ``background`` (white) between the cells.

    Every cell has the size of the first image; an image of another size
    is resized (linearly) to it. A row shorter than the longest leaves its
    last cells empty.

    Args:
        rows (Sequence[Sequence[np.ndarray]]): Rows of (h, w, 3) uint8
            images.
        gap (int): Pixels between cells (none around the grid).
        background (int): Value of the gaps and empty cells.

    Returns:
        np.ndarray: (R * h + (R - 1) * gap, C * w + (C - 1) * gap, 3) uint8,
        R rows and C the longest row's length.
    """
    cells = [image for row in rows for image in row]
    if not cells:
        raise ValueError('a grid needs at least one image')
    height, width = cells[0].shape[:2]
    num_rows = len(rows)
    num_cols = max(len(row) for row in rows)
    grid = np.full(
        (num_rows * height + (num_rows - 1) * gap, num_cols * width +
         (num_cols - 1) * gap, 3),
        background,
        dtype=np.uint8)
    for row_index, row in enumerate(rows):
        for col_index, image in enumerate(row):
            if image.shape[:2] != (height, width):
                image = cv2.resize(
                    image, (width, height), interpolation=cv2.INTER_LINEAR)
            top = row_index * (height + gap)
            left = col_index * (width + gap)
            grid[top:top + height, left:left + width] = image
    return grid
