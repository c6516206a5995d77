"""Moving, deforming, occluding shapes: the scenes of the synthetic dataset.

Each object has a category (its shape), a colour, a depth order and a
trajectory that may start or end outside the frame. Rendering a frame draws
the objects back to front; an object's mask is what stays visible after the
objects in front of it are drawn, so occluded parts are not in its mask.
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import cv2
import numpy as np

#: Shapes that define the categories, in the synthetic dataset's order.
SHAPES = ('ellipse', 'rectangle', 'triangle')

#: Fewer visible pixels than this count as "absent" in a frame.
MIN_VISIBLE_PIXELS = 6

#: Amplitude of the periodic stretch of an object's axes: an outline point
#: is at most ``size / (1 - STRETCH_AMPLITUDE)`` from the centre.
STRETCH_AMPLITUDE = 0.35


@dataclass
class MovingShape:
    """One object: a shape whose pose changes smoothly over time.

    Attributes:
        shape (str): One of :data:`SHAPES`.
        color (tuple[int, int, int]): BGR colour.
        center (np.ndarray): (2,) centre (x, y) in pixels at frame 0.
        velocity (np.ndarray): (2,) pixels per frame.
        size (float): Base radius in pixels.
        angle (float): Rotation at frame 0, radians.
        spin (float): Rotation per frame, radians.
        stretch_phase (float): Phase of the periodic deformation.
        stretch_speed (float): Radians per frame of the deformation.
    """
    shape: str
    color: Tuple[int, int, int]
    center: np.ndarray
    velocity: np.ndarray
    size: float
    angle: float
    spin: float
    stretch_phase: float
    stretch_speed: float

    def position(self, frame_id: int) -> np.ndarray:
        """(2,) centre (x, y) at ``frame_id``: a straight line."""
        return self.center + self.velocity * frame_id

    def polygon(self, frame_id: int) -> np.ndarray:
        """Outline at ``frame_id`` as an (N, 2) int32 array of (x, y)."""
        center = self.position(frame_id)
        # Deformation: the two axes breathe in opposite phase (area roughly
        # kept, aspect ratio changes between about 0.5 and 2).
        stretch = 1.0 + STRETCH_AMPLITUDE * math.sin(
            self.stretch_phase + self.stretch_speed * frame_id)
        axes = np.array([self.size * stretch, self.size / stretch])
        if self.shape == 'ellipse':
            angles = np.linspace(0, 2 * math.pi, 32, endpoint=False)
        elif self.shape == 'rectangle':
            angles = np.array([0.25, 0.75, 1.25, 1.75]) * math.pi
        else:
            angles = np.array([-0.5, 1 / 6, 5 / 6]) * math.pi
        points = np.stack([np.cos(angles), np.sin(angles)], 1) * axes
        theta = self.angle + self.spin * frame_id
        rotation = np.array([[math.cos(theta), -math.sin(theta)],
                             [math.sin(theta),
                              math.cos(theta)]])
        return np.round(points @ rotation.T + center).astype(np.int32)


def random_shape(rng: np.random.Generator, height: int, width: int,
                 num_frames: int) -> MovingShape:
    """Draw an object that stays in view, enters it, or leaves it.

    Most objects (60%) drift inside the frame; 20% start fully outside
    and enter, reaching the inside after about 60% of the video; 20%
    start inside and are fully outside after about 60% of the video. So many
    instances are absent from some frames, as in real videos.
    """
    size = rng.uniform(0.1, 0.22) * min(height, width)
    target = rng.uniform([0.2 * width, 0.2 * height],
                         [0.8 * width, 0.8 * height])
    direction = rng.uniform(0, 2 * math.pi)
    unit = np.array([math.cos(direction), math.sin(direction)])
    mode = rng.choice(['stay', 'enter', 'leave'], p=[0.6, 0.2, 0.2])
    if mode == 'stay':
        velocity = unit * rng.uniform(0.5, 2.0) * size / max(num_frames, 2)
        # The object passes `target` at a random time of the video.
        center = target - velocity * rng.uniform(0, max(num_frames - 1, 0))
    else:
        # Far enough to be fully outside the frame from any target.
        distance = 0.8 * max(height, width) + 1.5 * size
        velocity = unit * distance / max(0.6 * (num_frames - 1), 1.0)
        center = target - unit * distance if mode == 'enter' else target
    return MovingShape(
        center=center, velocity=velocity, size=size, **random_look(rng))


def random_look(rng: np.random.Generator) -> dict:
    """Draw an object's category, colour, rotation and deformation: the
    :class:`MovingShape` fields other than its motion and size."""
    return dict(
        shape=SHAPES[rng.integers(len(SHAPES))],
        color=tuple(int(c) for c in rng.integers(40, 256, 3)),
        angle=rng.uniform(0, 2 * math.pi),
        spin=rng.uniform(-0.3, 0.3),
        stretch_phase=rng.uniform(0, 2 * math.pi),
        stretch_speed=rng.uniform(0.2, 0.8))


def random_background(rng: np.random.Generator, height: int,
                      width: int) -> np.ndarray:
    """A smooth colour gradient with low-frequency blobs, (H, W, 3) uint8."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    corners = rng.uniform(0, 160, (2, 2, 3))
    fy, fx = (ys / max(height - 1, 1))[...,
                                       None], (xs / max(width - 1, 1))[...,
                                                                       None]
    image = (
        corners[0, 0] * (1 - fy) * (1 - fx) + corners[0, 1] * (1 - fy) * fx +
        corners[1, 0] * fy * (1 - fx) + corners[1, 1] * fy * fx)
    coarse = rng.normal(0, 18, (max(height // 16, 2), max(width // 16, 2), 3))
    image += cv2.resize(
        coarse.astype(np.float32), (width, height),
        interpolation=cv2.INTER_CUBIC)
    return np.clip(image, 0, 255).astype(np.uint8)


def render_frame(
        background: np.ndarray, objects: List[MovingShape], frame_id: int,
        rng: np.random.Generator
) -> Tuple[np.ndarray, List[Optional[np.ndarray]]]:
    """Draw one frame and the visible mask of each object.

    Args:
        background (np.ndarray): (H, W, 3) uint8 background.
        objects (list[MovingShape]): Objects from back to front.
        frame_id (int): Frame index.
        rng (np.random.Generator): Source of the sensor noise.

    Returns:
        tuple: The (H, W, 3) uint8 image and, per object, its (H, W) uint8
        visible mask, or None where fewer than :data:`MIN_VISIBLE_PIXELS`
        pixels are visible (occluded or outside the view).
    """
    image = background.copy()
    full_masks = []
    for obj in objects:
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [obj.polygon(frame_id)], 1)
        image[mask.astype(bool)] = obj.color
        full_masks.append(mask)
    visible_masks: List[Optional[np.ndarray]] = []
    covered = np.zeros(image.shape[:2], bool)
    for mask in reversed(full_masks):  # front to back
        visible = mask.astype(bool) & ~covered
        covered |= mask.astype(bool)
        visible_masks.append(
            visible.astype(np.uint8
                           ) if visible.sum() >= MIN_VISIBLE_PIXELS else None)
    noise = rng.normal(0, 4, image.shape)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    return image, visible_masks[::-1]
