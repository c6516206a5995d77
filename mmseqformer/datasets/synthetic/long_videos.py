"""Long synthetic videos whose objects leave the view and come back.

A split for measuring how well the online, window and clip modes keep
identities over time: videos of, say, 200 frames in which every object
swings to and fro along a line (:class:`SwingingShape`). *Returning*
objects swing far enough to be entirely outside the frame for a stretch of
every swing, then come back the way they went; every video has at least one
of them, and each other object returns with probability 1/2 or else wanders
inside the view. The frames, masks and annotation files are made by the
synthetic dataset's renderer and writer, so the split reads like the
others (:class:`~mmseqformer.datasets.YouTubeVISFormatDataset`)::

    <root>/valid_long/JPEGImages/valid_long_000/00000.jpg ...
    <root>/valid_long.json                              official layout
    <root>/annotations/synthetic_vis_valid_long.json    CocoVID layout
    <root>/manifest_valid_long.json                     the parameters used

Adding the split leaves every other file of ``root`` as it is (the
``make demo`` dataset keeps its bytes). Other long splits sit beside it
under their own names (``split``), e.g. ``train_long`` of another seed for
tuning the causal modes' thresholds and ``test_long`` of a third seed to
check them on videos nothing was tuned on (:data:`LONG_SPLITS`).
"""
import math
import os
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from .extra_split import add_split
from .scene import (STRETCH_AMPLITUDE, MovingShape, random_background,
                    random_look)
from .writer import SyntheticVISSpec, render_video, write_split_files

#: The split's default name (folder, JSON files, video names).
LONG_SPLIT = 'valid_long'
#: The long splits the docs use, each of its own seed: where the causal
#: modes' thresholds are tuned, the validation split of the tables, and the
#: held-out check (``make_synthetic_vis.py --long-split NAME --long-seed N``).
LONG_SPLITS = dict(train_long=1, valid_long=0, test_long=2)


@dataclass(frozen=True)
class LongSyntheticVISSpec:
    """What to generate; stored in ``manifest_<split>.json``.

    Attributes:
        seed (int): Random seed (the split draws from its own generator,
            so the other splits of the same seed are not affected).
        num_videos (int): Videos in the split.
        num_frames (int): Frames of every video.
        max_objects (int): Most objects per video (at least one).
        frame_sizes (tuple): (height, width) choices.
    """
    seed: int = 0
    num_videos: int = 8
    num_frames: int = 200
    max_objects: int = 4
    frame_sizes: Tuple[Tuple[int, int], ...] = SyntheticVISSpec.frame_sizes


@dataclass
class SwingingShape(MovingShape):
    """A shape that swings from ``center`` to ``center + excursion`` and
    back every ``period`` frames (``velocity`` adds a drift; zero here).

    Attributes:
        excursion (np.ndarray): (2,) the far end of the swing, relative to
            ``center``, in pixels.
        period (float): Frames per swing.
        phase (float): Where in its swing the shape is at frame 0, radians
            (0: at ``center``).
    """
    excursion: np.ndarray
    period: float
    phase: float

    def position(self, frame_id: int) -> np.ndarray:
        """(2,) centre (x, y) at ``frame_id``."""
        swing = (1 - math.cos(self.phase +
                              2 * math.pi * frame_id / self.period)) / 2
        return super().position(frame_id) + self.excursion * swing


def distance_to_leave(center: np.ndarray, unit: np.ndarray, height: int,
                      width: int, radius: float) -> float:
    """How far a shape reaching ``radius`` pixels from its centre must move
    from ``center`` (inside the frame) along ``unit`` to be entirely outside
    the frame: until its centre is ``radius`` beyond a border.

    Args:
        center (np.ndarray): (2,) start (x, y).
        unit (np.ndarray): (2,) direction of motion, unit length.
        height (int): H of the frame.
        width (int): W of the frame.
        radius (float): Farthest outline point from the centre.
    """
    distances = []
    for axis, limit in ((0, width), (1, height)):
        if unit[axis] > 0:
            distances.append((limit + radius - center[axis]) / unit[axis])
        elif unit[axis] < 0:
            distances.append((-radius - center[axis]) / unit[axis])
    return min(distances)


def swinging_shape(rng: np.random.Generator, height: int, width: int,
                   num_frames: int, returns: bool) -> SwingingShape:
    """Draw an object that leaves the view and comes back (``returns``),
    or wanders inside it.

    A returning object swings 1.2-1.5 times the distance after which even
    its most stretched outline is outside, so it is out of view for at
    least 27%-39% of each swing (about 40% of the frames in practice), and
    swings every 25%-45% of the video: at least one exit and return in
    full, mostly two. A wandering one swings 0.3-1 times its size, every
    30%-100% of the video.
    """
    size = rng.uniform(0.1, 0.22) * min(height, width)
    center = rng.uniform([0.25 * width, 0.25 * height],
                         [0.75 * width, 0.75 * height])
    direction = rng.uniform(0, 2 * math.pi)
    unit = np.array([math.cos(direction), math.sin(direction)])
    if returns:
        # One pixel more for the rounding of the outline.
        radius = size / (1 - STRETCH_AMPLITUDE) + 1
        reach = distance_to_leave(center, unit, height, width,
                                  radius) * rng.uniform(1.2, 1.5)
        period = rng.uniform(0.25, 0.45) * num_frames
    else:
        reach = rng.uniform(0.3, 1.0) * size
        period = rng.uniform(0.3, 1.0) * num_frames
    return SwingingShape(
        center=center,
        velocity=np.zeros(2),
        size=size,
        excursion=unit * reach,
        period=max(period, 2.0),
        phase=rng.uniform(0, 2 * math.pi),
        **random_look(rng))


def _write_long_split(root: str, spec: LongSyntheticVISSpec,
                      split: str) -> dict:
    """Render the split ``split`` into ``root``; return its counts."""
    # Generators 0 and 1 of the seed make the train and valid splits.
    rng = np.random.default_rng([spec.seed, 2])
    videos, annotations = [], []
    for index in range(spec.num_videos):
        height, width = spec.frame_sizes[rng.integers(len(spec.frame_sizes))]
        background = random_background(rng, height, width)
        num_objects = int(rng.integers(1, spec.max_objects + 1))
        objects: List[MovingShape] = [
            swinging_shape(
                rng,
                height,
                width,
                spec.num_frames,
                returns=i == 0 or bool(rng.random() < 0.5))
            for i in range(num_objects)
        ]
        rng.shuffle(objects)  # depth order: the returning one anywhere
        video, instances = render_video(root, split, f'{split}_{index:03d}',
                                        index + 1, spec.num_frames, background,
                                        objects, rng)
        videos.append(video)
        for instance in instances:
            annotations.append(dict(instance, id=len(annotations) + 1))
    return write_split_files(root, split, videos, annotations)


def make_long_videos(root: str,
                     spec: LongSyntheticVISSpec = LongSyntheticVISSpec(),
                     force: bool = False,
                     split: str = LONG_SPLIT) -> dict:
    """Add the long-video split ``split`` to ``root`` unless the same one
    is already there; other files of ``root`` are left as they are
    (:func:`~.extra_split.add_split`: an interrupted run leaves no split
    that looks complete).

    Args:
        root (str): The dataset folder (made if missing).
        spec (LongSyntheticVISSpec): What to generate.
        force (bool): Replace a split made with another spec, or one
            without its manifest.
        split (str): The split's name (``valid_long``; see
            :data:`LONG_SPLITS`). Its videos depend on ``spec`` only.

    Returns:
        dict: The manifest (``spec`` and the split's counts).
    """
    if not split.isidentifier():
        raise ValueError(f'a split name is a word (letters, digits, _), '
                         f'got {split!r}')
    if spec.num_videos < 1 or spec.num_frames < 1 or spec.max_objects < 1:
        raise ValueError('the long-video split needs num_videos, num_frames '
                         f'and max_objects >= 1, got {spec}')
    paths = [
        split, f'{split}.json',
        os.path.join('annotations', f'synthetic_vis_{split}.json')
    ]
    return add_split(root, split, spec, paths,
                     lambda tmp_root: _write_long_split(tmp_root, spec, split),
                     force)
