"""The synthetic still images: COCO layout, masks that match the pixels,
loaded as pseudo clips by the pseudo-clip dataset, other files kept."""
import hashlib
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmseqformer.datasets import CocoPseudoVideoDataset
from mmseqformer.datasets.synthetic import (CATEGORY_IDS, IMAGES_CATEGORY_MAP,
                                            IMAGES_SPLIT, SHAPES,
                                            SyntheticImagesSpec,
                                            make_still_images)
from mmseqformer.datasets.synthetic.still_images import still_shape

SPEC = SyntheticImagesSpec(seed=3, num_images=6, max_objects=4)
ANN_FILE = f'annotations/synthetic_vis_{IMAGES_SPLIT}.json'


@pytest.fixture(scope='module')
def images_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('images') / 'synthetic_vis')
    make_still_images(root, SPEC)
    return root


def test_still_shapes_are_centred_in_the_view():
    rng = np.random.default_rng(0)
    for _ in range(50):
        shape = still_shape(rng, 96, 128)
        x, y = shape.position(0)
        assert 0 <= x < 128 and 0 <= y < 96
        assert np.array_equal(shape.position(0), shape.position(7))


def test_annotations_match_the_rendered_pixels(images_root):
    with open(osp.join(images_root, ANN_FILE)) as f:
        coco = json.load(f)
    assert len(coco['images']) == SPEC.num_images
    assert {c['id'] for c in coco['categories']} == set(CATEGORY_IDS)
    assert coco['annotations']
    for ann in coco['annotations']:
        image = next(i for i in coco['images'] if i['id'] == ann['image_id'])
        pixels = cv2.imread(
            osp.join(images_root, IMAGES_SPLIT, image['file_name']))
        assert pixels.shape[:2] == (image['height'], image['width'])
        mask = mask_utils.decode(ann['segmentation']).astype(bool)
        assert mask.sum() == ann['area'] > 0
        x, y, w, h = ann['bbox']
        ys, xs = np.nonzero(mask)
        assert (x, y, x + w, y + h) == (xs.min(), ys.min(), xs.max() + 1,
                                        ys.max() + 1)
        # One flat colour (plus sensor noise and JPEG) inside an object.
        inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3)))
        if inner.sum() > 10:
            assert pixels[inner.astype(bool)].std(0).max() < 12


def test_the_split_loads_as_pseudo_clips(images_root):
    dataset = CocoPseudoVideoDataset(
        category_map=IMAGES_CATEGORY_MAP,
        data_root=images_root,
        ann_file=ANN_FILE,
        data_prefix=dict(img=f'{IMAGES_SPLIT}/'),
        metainfo=dict(classes=SHAPES),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='ImageToPseudoClip', num_frames=3),
            dict(type='PackTrackInputs'),
        ])
    with open(osp.join(images_root, ANN_FILE)) as f:
        coco = json.load(f)
    names = {c['id']: c['name'] for c in coco['categories']}
    assert len(dataset) == len({a['image_id'] for a in coco['annotations']})
    info = dataset.get_data_info(0)
    anns = [a for a in coco['annotations'] if a['image_id'] == info['img_id']]
    assert [SHAPES[i['bbox_label']] for i in info['instances']
            ] == [names[a['category_id']] for a in anns]
    sample = dataset[0]['data_samples']
    assert len(sample) == 3


def test_adding_the_split_keeps_the_other_files(synthetic_root, tmp_path):
    root = str(tmp_path / 'synthetic_vis')
    shutil.copytree(synthetic_root, root)

    def digests(folder):
        out = {}
        for dirpath, _, files in os.walk(folder):
            for name in files:
                path = osp.join(dirpath, name)
                with open(path, 'rb') as f:
                    out[osp.relpath(path, folder)] = hashlib.md5(
                        f.read()).hexdigest()
        return out

    before = digests(root)
    manifest = make_still_images(root, SPEC)
    after = digests(root)
    assert {k: after[k] for k in before} == before
    assert manifest['splits'][IMAGES_SPLIT]['images'] == SPEC.num_images
    # The same spec again keeps the files; another one needs force.
    assert make_still_images(root, SPEC) == manifest
    other = SyntheticImagesSpec(seed=4, num_images=2)
    with pytest.raises(FileExistsError, match='another spec'):
        make_still_images(root, other)
    make_still_images(root, other, force=True)
    with open(osp.join(root, ANN_FILE)) as f:
        assert len(json.load(f)['images']) == 2
