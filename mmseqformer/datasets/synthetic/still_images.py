"""Synthetic still images for image pretraining, in the COCO layout.

SeqFormer's recipe pretrains on COCO images turned into pseudo clips
(:class:`~mmseqformer.datasets.CocoPseudoVideoDataset` with
``ImageToPseudoClip``) before, or beside, its video training. This split is
that step's data for the synthetic set: single frames with the videos'
shapes, looks and backgrounds, more objects per image and every object
inside or partly inside the view::

    <root>/train_images/00000.jpg ...
    <root>/annotations/synthetic_vis_train_images.json   COCO layout
    <root>/manifest_train_images.json                    the parameters used

Category ids are the videos' (:data:`~.writer.CATEGORY_IDS`), so the
pseudo-clip dataset's ``category_map`` is the identity on names.
"""
import json
import os
from dataclasses import dataclass
from typing import Dict, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from .extra_split import add_split
from .scene import (SHAPES, MovingShape, random_background, random_look,
                    render_frame)
from .writer import CATEGORY_IDS, SyntheticVISSpec, categories

#: The split's name (folder, JSON file, manifest).
IMAGES_SPLIT = 'train_images'

#: ``CocoPseudoVideoDataset``'s ``category_map`` for these images.
IMAGES_CATEGORY_MAP: Dict[int, str] = dict(zip(CATEGORY_IDS, SHAPES))


@dataclass(frozen=True)
class SyntheticImagesSpec:
    """What to generate; stored in ``manifest_train_images.json``.

    Attributes:
        seed (int): Random seed (the split draws from its own generator, so
            the other splits of the same seed are not affected).
        num_images (int): Images in the split.
        max_objects (int): Most objects per image (at least one).
        frame_sizes (tuple): (height, width) choices.
    """
    seed: int = 0
    num_images: int = 2000
    max_objects: int = 6
    frame_sizes: Tuple[Tuple[int, int], ...] = SyntheticVISSpec.frame_sizes


def still_shape(rng: np.random.Generator, height: int,
                width: int) -> MovingShape:
    """An object whose centre lies in the view (its outline may not)."""
    size = rng.uniform(0.1, 0.22) * min(height, width)
    center = rng.uniform([0.05 * width, 0.05 * height],
                         [0.95 * width, 0.95 * height])
    return MovingShape(
        center=center, velocity=np.zeros(2), size=size, **random_look(rng))


def _write_images(root: str, spec: SyntheticImagesSpec) -> dict:
    """Render the split into ``root``; return its counts."""
    # Generators 0, 1 and 2 of the seed make train, valid and valid_long.
    rng = np.random.default_rng([spec.seed, 3])
    os.makedirs(os.path.join(root, IMAGES_SPLIT))
    images, annotations = [], []
    for index in range(spec.num_images):
        height, width = spec.frame_sizes[rng.integers(len(spec.frame_sizes))]
        background = random_background(rng, height, width)
        objects = [
            still_shape(rng, height, width)
            for _ in range(rng.integers(1, spec.max_objects + 1))
        ]
        image, masks = render_frame(background, objects, 0, rng)
        file_name = f'{index:05d}.jpg'
        cv2.imwrite(
            os.path.join(root, IMAGES_SPLIT, file_name), image,
            [cv2.IMWRITE_JPEG_QUALITY, 92])
        images.append(
            dict(
                id=index + 1,
                file_name=file_name,
                height=int(height),
                width=int(width)))
        for obj, mask in zip(objects, masks):
            if mask is None:
                continue
            rle = mask_utils.encode(np.asfortranarray(mask))
            box = mask_utils.toBbox(rle).tolist()
            area = float(mask_utils.area(rle))
            rle['counts'] = rle['counts'].decode('ascii')
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=index + 1,
                    category_id=CATEGORY_IDS[SHAPES.index(obj.shape)],
                    segmentation=rle,
                    area=area,
                    bbox=box,
                    iscrowd=0))
    coco = dict(
        info=dict(description='mmseqformer synthetic still images'),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=categories())
    with open(
            os.path.join(root, 'annotations',
                         f'synthetic_vis_{IMAGES_SPLIT}.json'), 'w') as f:
        json.dump(coco, f)
    return dict(images=len(images), instances=len(annotations))


def make_still_images(root: str,
                      spec: SyntheticImagesSpec = SyntheticImagesSpec(),
                      force: bool = False) -> dict:
    """Add the ``train_images`` split to ``root`` unless the same one is
    already there; other files of ``root`` are left as they are
    (:func:`~.extra_split.add_split`).

    Args:
        root (str): The dataset folder (made if missing).
        spec (SyntheticImagesSpec): What to generate.
        force (bool): Replace a split made with another spec, or one
            without its manifest.

    Returns:
        dict: The manifest (``spec`` and the split's counts).
    """
    if spec.num_images < 1 or spec.max_objects < 1:
        raise ValueError('the still-image split needs num_images and '
                         f'max_objects >= 1, got {spec}')
    paths = [
        IMAGES_SPLIT,
        os.path.join('annotations', f'synthetic_vis_{IMAGES_SPLIT}.json')
    ]
    return add_split(root, IMAGES_SPLIT, spec, paths,
                     lambda tmp_root: _write_images(tmp_root, spec), force)
