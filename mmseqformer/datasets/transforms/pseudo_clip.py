"""Turn one annotated image into a T-frame pseudo clip.

The official behaviour is in ``docs/notes/official_behaviour.md`` §4.4.
Modified from the official ``datasets/coco2seq.py`` and
``datasets/image_to_seq_augmenter.py`` (wjf5203/SeqFormer, MIT), which use
imgaug; here the same augmentations are written with OpenCV.
"""
import random
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks


def random_perspective_affine(height: int, width: int, rng: random.Random,
                              perspective: float, translate: float,
                              rotate: float) -> np.ndarray:
    """A 3x3 homography: corner jitter (perspective), then a rotation about
    the centre and a translation (affine), as the official augmenter."""
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    jitter = np.float32([[
        rng.gauss(0, perspective) * width,
        rng.gauss(0, perspective) * height
    ] for _ in range(4)])
    warp = cv2.getPerspectiveTransform(corners, corners + jitter)
    angle = rng.uniform(-rotate, rotate)
    shift = (rng.uniform(-translate, translate) * width,
             rng.uniform(-translate, translate) * height)
    affine = np.eye(3)
    affine[:2] = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    affine[:2, 2] += shift
    return affine @ warp


def photometric(image: np.ndarray, rng: random.Random, brightness: int,
                hue_saturation: int) -> np.ndarray:
    """imgaug's ``SomeOf((1, None), [Add, AddToHueAndSaturation])``."""
    ops = [0, 1]
    rng.shuffle(ops)
    image = image.astype(np.int16)
    for op in ops[:rng.randint(1, 2)]:
        if op == 0:
            image = image + rng.randint(-brightness, brightness)
        else:
            hsv = cv2.cvtColor(
                np.clip(image, 0, 255).astype(np.uint8),
                cv2.COLOR_BGR2HSV).astype(np.int16)
            shift = rng.randint(-hue_saturation, hue_saturation)
            hsv[..., 0] = (hsv[..., 0] + shift) % 180
            hsv[..., 1] = np.clip(hsv[..., 1] + shift, 0, 255)
            image = cv2.cvtColor(hsv.astype(np.uint8),
                                 cv2.COLOR_HSV2BGR).astype(np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def motion_blur(image: np.ndarray, rng: random.Random,
                kernel_sizes: Tuple[int, ...]) -> np.ndarray:
    """A line kernel of a random size and angle."""
    size = rng.choice(kernel_sizes)
    kernel = np.zeros((size, size), np.float32)
    kernel[size // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5),
                                       rng.uniform(0, 360), 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (size, size))
    return cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """(n, 4) xyxy boxes with the inclusive max index (official)."""
    boxes = np.zeros((len(masks), 4), np.float32)
    for i, mask in enumerate(masks):
        ys, xs = np.nonzero(mask)
        if len(xs):
            boxes[i] = [xs.min(), ys.min(), xs.max(), ys.max()]
    return boxes


@TRANSFORMS.register_module()
class ImageToPseudoClip(BaseTransform):
    """One image and its instances -> ``num_frames`` augmented frames.

    Frame 0 is the original; each other frame is warped independently from
    the original (perspective, rotation, translation; image and instance-id
    map alike, so overlaps go to the later instance), then given brightness
    or hue/saturation changes and, sometimes, motion blur. The frames are
    shuffled. An instance whose mask leaves the frame is absent there.
    Returns None for images with no instance or more than
    ``max_instances`` (the dataset then draws another item).

    Output: per-frame lists, as ``TransformBroadcaster`` and
    ``PackTrackInputs`` expect (like ``LoadTrackAnnotations``: ``gt_bboxes``
    float32 (n, 4) xyxy arrays, ``gt_masks`` BitmapMasks), with
    ``gt_instances_ids`` 1..n. Boxes use the official inclusive max index.

    NOTE: written with OpenCV instead of imgaug: same operations and ranges,
    not the same random streams.

    Args:
        num_frames (int): T. Defaults to 5 (hard-coded officially).
        max_instances (int): Defaults to 25.
        perspective (float): Std of the corner jitter, in image sizes.
        translate (float): Max translation, in image sizes.
        rotate (float): Max rotation in degrees.
        brightness (int): Max brightness shift.
        hue_saturation (int): Max hue/saturation shift.
        blur_prob (float): Motion-blur probability.
        blur_kernel_sizes (tuple[int]): Motion-blur kernel sizes.
    """

    def __init__(
        self,
        num_frames: int = 5,
        max_instances: int = 25,
        perspective: float = 0.08,
        translate: float = 0.1,
        rotate: float = 20.0,
        brightness: int = 40,
        hue_saturation: int = 5,
        blur_prob: float = 0.25,
        blur_kernel_sizes: Tuple[int, ...] = (9, 11)
    ) -> None:
        self.num_frames = num_frames
        self.max_instances = max_instances
        self.perspective = perspective
        self.translate = translate
        self.rotate = rotate
        self.brightness = brightness
        self.hue_saturation = hue_saturation
        self.blur_prob = blur_prob
        self.blur_kernel_sizes = tuple(blur_kernel_sizes)

    def transform(self, results: dict) -> Optional[dict]:
        """Build the clip.

        Args:
            results (dict): One image with ``img``, ``gt_masks``
                (BitmapMasks), ``gt_bboxes_labels`` and, optionally,
                ``gt_ignore_flags``.

        Returns:
            dict | None: Per-frame lists.
        """
        masks = results['gt_masks'].to_ndarray()
        labels = np.asarray(results['gt_bboxes_labels'])
        if not 0 < len(masks) <= self.max_instances:
            return None
        rng = random.Random(np.random.randint(2**31))
        frames = [(results['img'], masks)] + [
            self.augmented_copy(results['img'], masks, rng)
            for _ in range(self.num_frames - 1)
        ]
        rng.shuffle(frames)
        return self.collate(results, frames, labels)

    def augmented_copy(self, image: np.ndarray, masks: np.ndarray,
                       rng: random.Random) -> Tuple[np.ndarray, np.ndarray]:
        """One independently warped and recoloured copy."""
        height, width = image.shape[:2]
        matrix = random_perspective_affine(height, width, rng,
                                           self.perspective, self.translate,
                                           self.rotate)
        warped = cv2.warpPerspective(
            image, matrix, (width, height), flags=cv2.INTER_LINEAR)
        # Condensed id map: later instances win on overlaps (official).
        ids = np.zeros((height, width), np.int32)
        for index, mask in enumerate(masks, start=1):
            ids[mask.astype(bool)] = index
        ids = cv2.warpPerspective(
            ids.astype(np.float32),
            matrix, (width, height),
            flags=cv2.INTER_NEAREST).astype(np.int32)
        new_masks = np.stack(
            [ids == index for index in range(1,
                                             len(masks) + 1)])
        warped = photometric(warped, rng, self.brightness, self.hue_saturation)
        if rng.random() < self.blur_prob:
            warped = motion_blur(warped, rng, self.blur_kernel_sizes)
        return warped, new_masks.astype(np.uint8)

    def collate(self, results: dict, frames: List[tuple],
                labels: np.ndarray) -> dict:
        """Per-frame lists; instances absent from a frame are left out."""
        out = {
            key: []
            for key in ('img', 'gt_masks', 'gt_bboxes', 'gt_bboxes_labels',
                        'gt_instances_ids', 'gt_ignore_flags', 'img_shape',
                        'ori_shape', 'frame_id', 'img_path', 'img_id',
                        'video_id', 'video_length', 'ori_video_length')
        }
        height, width = results['img'].shape[:2]
        for frame_id, (image, masks) in enumerate(frames):
            present = masks.reshape(len(masks), -1).any(1)
            kept = masks[present]
            out['img'].append(image)
            out['gt_masks'].append(BitmapMasks(kept, height, width))
            out['gt_bboxes'].append(masks_to_boxes(kept))
            out['gt_bboxes_labels'].append(labels[present])
            out['gt_instances_ids'].append(np.nonzero(present)[0] + 1)
            out['gt_ignore_flags'].append(np.zeros(int(present.sum()), bool))
            out['img_shape'].append((height, width))
            out['ori_shape'].append((height, width))
            out['frame_id'].append(frame_id)
            out['img_path'].append(results.get('img_path'))
            out['img_id'].append(results.get('img_id'))
            out['video_id'].append(results.get('img_id'))
            out['video_length'].append(self.num_frames)
            out['ori_video_length'].append(self.num_frames)
        out['key_frame_flags'] = [True] + [False] * (self.num_frames - 1)
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'max_instances={self.max_instances})')
