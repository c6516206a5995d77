import numpy as np
import pytest
import torch
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmseqformer.datasets import ImageToPseudoClip
from mmseqformer.datasets.transforms.pseudo_clip import masks_to_boxes

H, W = 60, 80


def image_results(num_instances=2, overlap=True):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    masks = np.zeros((num_instances, H, W), np.uint8)
    for i in range(num_instances):
        x0 = 10 + 8 * i if overlap else 4 * i
        masks[i, 15:40, x0:x0 + 25] = 1
    return dict(
        img=img,
        img_path='a.jpg',
        img_id=7,
        gt_masks=BitmapMasks(masks, H, W),
        gt_bboxes=HorizontalBoxes(torch.from_numpy(masks_to_boxes(masks))),
        gt_bboxes_labels=np.arange(num_instances) + 3)


def test_clip_has_the_original_and_independent_copies():
    np.random.seed(0)
    results = image_results()
    clip = ImageToPseudoClip(num_frames=5)(dict(results))
    assert len(clip['img']) == 5 and clip['frame_id'] == list(range(5))
    originals = [
        i for i, img in enumerate(clip['img'])
        if (img == results['img']).all()
    ]
    assert len(originals) == 1  # the original, at a shuffled position
    copies = [img for img in clip['img'] if not (img == results['img']).all()]
    assert not (copies[0] == copies[1]).all()
    for frame in range(5):
        ids = clip['gt_instances_ids'][frame].tolist()
        labels = clip['gt_bboxes_labels'][frame].tolist()
        assert labels == [i + 2 for i in ids]  # label follows the instance
        masks = clip['gt_masks'][frame].to_ndarray()
        np.testing.assert_array_equal(clip['gt_bboxes'][frame],
                                      masks_to_boxes(masks))
        assert clip['img'][frame].shape == (H, W, 3)


def test_overlaps_go_to_the_later_instance_in_copies():
    np.random.seed(1)
    clip = ImageToPseudoClip(num_frames=5)(image_results(overlap=True))
    for frame in range(5):
        masks = clip['gt_masks'][frame].to_ndarray().astype(bool)
        if len(masks) == 2 and not (clip['img'][frame]
                                    == image_results()['img']).all():
            assert not (masks[0] & masks[1]).any()


@pytest.mark.parametrize('count', [0, 26])
def test_images_with_no_or_too_many_instances_are_refused(count):
    results = image_results(num_instances=max(count, 1))
    if count == 0:
        results['gt_masks'] = BitmapMasks(np.zeros((0, H, W), np.uint8), H, W)
        results['gt_bboxes_labels'] = np.zeros(0, np.int64)
    else:
        masks = np.zeros((count, H, W), np.uint8)
        masks[:, :5, :5] = 1
        results['gt_masks'] = BitmapMasks(masks, H, W)
        results['gt_bboxes_labels'] = np.zeros(count, np.int64)
    assert ImageToPseudoClip()(results) is None


def test_clip_goes_through_shared_augmentation_and_packing():
    np.random.seed(2)
    pipeline = [
        dict(type='ImageToPseudoClip', num_frames=5),
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='Resize', scale=(40, 30), keep_ratio=True),
                dict(type='RandomFlip', prob=0.5)
            ]),
        dict(type='PackTrackInputs'),
    ]
    from mmcv.transforms import Compose
    packed = Compose([TRANSFORMS.build(t) for t in pipeline])(image_results())
    assert packed['inputs'].shape == (5, 3, 30, 40)
    sample = packed['data_samples']
    assert len(sample) == 5
    assert all(len(sample[t].gt_instances) <= 2 for t in range(5))
