"""Resize frames, boxes and masks exactly as the official SeqFormer code.

The official code resizes PIL images: training with its own size rule
(``datasets/transforms_clip.py``, shorter side ``size`` unless the longer
side would exceed ``max_size``), inference with torchvision's
``transforms.Resize(360)`` (``inference.py``). Both resample with PIL's
bilinear filter, which antialiases when shrinking; masks go through torch's
``interpolate(mode='nearest')`` and ``> 0.5``.

mmcv's keep-ratio ``Resize`` rounds sizes another way
(``int(x * scale + 0.5)``: 854x480 -> 641x360 where torchvision gives
640x360) and resamples with OpenCV (no antialiasing); mmdet's
``BitmapMasks.resize`` uses OpenCV's nearest, whose source index differs
from torch's for some sizes (42 of 300 random size pairs).
"""
from typing import Optional, Tuple, Union

import mmcv
import numpy as np
from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import autocast_box_type
from mmdet.structures.mask import BitmapMasks

ScaleType = Union[int, Tuple[int, int]]


def shorter_side_resize_shape(
        height: int,
        width: int,
        size: int,
        max_size: Optional[int] = None) -> Tuple[int, int]:
    """Output (height, width) of the official resize.

    The shorter side becomes ``size`` and the longer one
    ``int(size * long / short)`` (truncated, not rounded). With
    ``max_size``, when the longer side would exceed it, ``size`` is first
    lowered to ``round(max_size * short / long)`` (Python's round: halves to
    even), as the official training transform does. A frame whose shorter
    side already equals ``size`` keeps its size.

    Without ``max_size`` this is also torchvision's ``Resize(size)`` rule
    (``_compute_resized_output_size``), the official inference resize.

    Args:
        height (int): Input height.
        width (int): Input width.
        size (int): Target shorter side.
        max_size (int, optional): Bound on the longer side (official
            training only).

    Returns:
        tuple[int, int]: (new_height, new_width).
    """
    short, long = min(height, width), max(height, width)
    if max_size is not None and long / short * size > max_size:
        size = int(round(max_size * short / long))
    if short == size:
        return height, width
    # Same operation order as the official code (product, then division).
    if width < height:
        return int(size * height / width), size
    return size, int(size * width / height)


def nearest_source_indices(in_size: int, out_size: int) -> np.ndarray:
    """The source index of every output index under torch's
    ``interpolate(mode='nearest')``: ``min(floor(i * (in / out)), in - 1)``
    with the scale and the product in float32, as its CPU kernel computes
    them (the same size keeps every index; twice the size halves it).

    Returns:
        np.ndarray: (out_size,) int64 indices into the input.
    """
    if in_size == out_size:
        return np.arange(out_size)
    if out_size == 2 * in_size:
        return np.arange(out_size) >> 1
    scale = np.float32(in_size) / np.float32(out_size)
    product = np.arange(out_size, dtype=np.float32) * scale
    return np.minimum(np.floor(product).astype(np.int64), in_size - 1)


def resize_masks_nearest(masks: np.ndarray, height: int,
                         width: int) -> np.ndarray:
    """Binary masks resized as the official code does.

    The official code runs ``interpolate(mode='nearest')`` then ``> 0.5`` on
    float masks; nearest only copies values, so picking the same source rows
    and columns (:func:`nearest_source_indices`) gives the same pixels
    without a torch call (about 40 against 50-120 us for three 120x160
    masks on one thread, and no thread pool to wait for when the CPU is
    shared).

    Args:
        masks (np.ndarray): (n, H, W) binary masks.
        height (int): Output height.
        width (int): Output width.

    Returns:
        np.ndarray: (n, height, width) uint8 masks.
    """
    masks = np.asarray(masks, dtype=np.uint8)
    if len(masks) == 0:
        return np.zeros((0, height, width), np.uint8)
    rows = nearest_source_indices(masks.shape[1], height)
    cols = nearest_source_indices(masks.shape[2], width)
    return np.take(np.take(masks, rows, axis=1), cols, axis=2)


@TRANSFORMS.register_module()
class SeqFormerResize(Resize):
    """The official SeqFormer resize: its size rule, PIL bilinear images,
    torch-nearest masks.

    ``scale`` is an int (the shorter side, no bound on the longer one: the
    official ``Resize(360)`` of inference and ``RandomResize([400, 500,
    600])`` of the crop branch) or a pair whose larger value bounds the
    longer side and whose smaller value is the shorter side (``(768, 288)``
    is the official ``RandomResize([288], max_size=768)``, the same pair
    that mmcv's keep-ratio ``Resize`` takes). It is read when the transform
    runs, so ``RandomChoiceResize(scales=..., resize_type='SeqFormerResize')``
    can set it.

    Boxes are scaled by (new_w / w, new_h / h) as official and clipped to
    the frame (mmdet's contract; the official resize does not clip, so a
    box on the frame border can differ by float32 rounding, 3e-5 px seen
    for 1280 -> 768); ``img_shape``, ``scale`` (w, h),
    ``scale_factor`` and ``homography_matrix`` are updated as mmdet's
    ``Resize`` does.

    NOTE: images must be uint8 (PIL resizes 8-bit images); channel order
    does not matter (PIL filters each channel alone: BGR arrays give the
    RGB result with channels swapped, checked bit for bit).

    Args:
        scale (int | tuple[int, int]): See above.
        clip_object_border (bool): Clip boxes to the frame. Defaults to True.
    """

    def __init__(self,
                 scale: ScaleType,
                 clip_object_border: bool = True) -> None:
        super().__init__(
            scale=scale,
            keep_ratio=True,
            clip_object_border=clip_object_border,
            backend='pillow',
            interpolation='bilinear')
        # mmcv turns an int into a square (s, s); keep it as given.
        self.scale = scale

    def output_shape(self, height: int, width: int) -> Tuple[int, int]:
        """(new_height, new_width) of a height x width frame."""
        if isinstance(self.scale, int):
            return shorter_side_resize_shape(height, width, self.scale)
        return shorter_side_resize_shape(height, width, min(self.scale),
                                         max(self.scale))

    def _resize_img(self, results: dict) -> None:
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'SeqFormerResize needs uint8 images (PIL), got '
                            f'{img.dtype} for {results.get("img_path")}')
        height, width = img.shape[:2]
        new_h, new_w = self.output_shape(height, width)
        results['img'] = mmcv.imresize(
            img, (new_w, new_h), interpolation='bilinear', backend='pillow')
        results['img_shape'] = (new_h, new_w)
        results['scale'] = (new_w, new_h)
        results['scale_factor'] = (new_w / width, new_h / height)
        results['keep_ratio'] = True

    def _resize_masks(self, results: dict) -> None:
        masks = results.get('gt_masks')
        if masks is None:
            return
        new_h, new_w = results['img_shape']
        if isinstance(masks, BitmapMasks):
            results['gt_masks'] = BitmapMasks(
                resize_masks_nearest(masks.masks, new_h, new_w), new_h, new_w)
        else:  # polygons scale exactly; no pixel rule to follow
            results['gt_masks'] = masks.resize((new_h, new_w))

    def _resize_seg(self, results: dict) -> None:
        # Not an official input: mmcv's nearest, to the image's size.
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = mmcv.imresize(
                results['gt_seg_map'],
                results['scale'],
                interpolation='nearest')

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        """Resize ``img``, ``gt_bboxes``, ``gt_masks`` and ``gt_seg_map``.

        Args:
            results (dict): One frame, ``img`` (H, W, C) uint8.

        Returns:
            dict: The frame resized; ``img_shape``, ``scale``,
            ``scale_factor``, ``keep_ratio`` and ``homography_matrix``
            updated.
        """
        self._resize_img(results)
        self._resize_bboxes(results)
        self._resize_masks(results)
        self._resize_seg(results)
        self._record_homography_matrix(results)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'clip_object_border={self.clip_object_border})')
