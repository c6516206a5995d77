"""SeqFormerResize: the official size rules, PIL bilinear images, torch
nearest masks, mmdet's Resize metadata."""
from fractions import Fraction

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.transforms import RandomChoiceResize, TransformBroadcaster
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from PIL import Image

from mmseqformer.datasets.transforms import (SeqFormerResize,
                                             resize_masks_nearest,
                                             shorter_side_resize_shape)


def torchvision_rule(height, width, size):
    """torchvision ``Resize(size)`` as documented: the shorter side becomes
    ``size``, the longer one ``int(size * long / short)``; computed here in
    exact integer arithmetic."""
    if height <= width:
        return size, size * width // height
    return size * height // width, size


def official_training_rule(height, width, size, max_size):
    """The official training rule with exact fractions: lower ``size`` to
    round-half-even(max_size * short / long) when long * size / short would
    exceed ``max_size``; then the torchvision rule (a frame already at
    ``size`` is kept)."""
    short, long = min(height, width), max(height, width)
    if Fraction(long * size, short) > max_size:
        size = round(Fraction(max_size * short, long))  # half to even
    if short == size:
        return height, width
    return torchvision_rule(height, width, size)


@pytest.mark.parametrize(
    'height, width, expected',
    [
        (1080, 1920, (360, 640)),
        (720, 1280, (360, 640)),
        (480, 854, (360, 640)),  # mmcv's keep-ratio Resize gives 641
        (333, 1000, (360, 1081)),
        (1000, 333, (1081, 360)),  # portrait
        (361, 641, (360, 639)),
        (500, 500, (360, 360)),
        (360, 497, (360, 497)),  # already at size: unchanged
        (200, 300, (360, 540)),  # enlarged
    ])
def test_test_rule_hand_checked(height, width, expected):
    assert shorter_side_resize_shape(height, width, 360) == expected


@pytest.mark.parametrize(
    'height, width, size, max_size, expected',
    [
        (1080, 1920, 512, 768, (432, 768)),  # 768 * 1080 / 1920 = 432
        (720, 1280, 288, 768, (288, 512)),  # bound not reached
        (333, 1000, 288, 768, (256, 768)),  # round(255.744) = 256
        (1000, 333, 288, 768, (768, 256)),
        (3, 4, 5, 6, (4, 5)),  # round(4.5) = 4 (half to even), not 5
    ])
def test_training_rule_hand_checked(height, width, size, max_size, expected):
    assert shorter_side_resize_shape(height, width, size, max_size) == expected


def test_rules_equal_the_formulas_computed_exactly():
    rng = np.random.default_rng(0)
    heights = rng.integers(1, 2500, 3000)
    widths = rng.integers(1, 2500, 3000)
    sizes = rng.choice([96, 112, 288, 320, 352, 360, 392, 512, 600], 3000)
    for height, width, size in zip(heights.tolist(), widths.tolist(),
                                   sizes.tolist()):
        assert shorter_side_resize_shape(height, width, size) == \
            torchvision_rule(height, width, size), (height, width, size)
        assert shorter_side_resize_shape(height, width, size, 768) == \
            official_training_rule(height, width, size, 768), \
            (height, width, size)


def frame(height, width, seed=0):
    """A BGR uint8 frame: smooth gradients plus noise (aliasing shows)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    img = np.stack([xs * 7 % 256, ys * 3 % 256, (xs + ys) % 256], -1)
    noise = rng.integers(0, 40, (height, width, 3))
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def pil_bilinear_bgr(img, height, width):
    """PIL's own resize of the RGB image, back to BGR."""
    rgb = Image.fromarray(np.ascontiguousarray(img[..., ::-1]))
    return np.asarray(rgb.resize((width, height), Image.BILINEAR))[..., ::-1]


@pytest.mark.parametrize('height, width, scale', [(1080, 1920, 360),
                                                  (333, 1000, 360),
                                                  (97, 61, 360),
                                                  (720, 1280, (768, 512))])
def test_image_is_pil_bilinear_bit_for_bit(height, width, scale):
    img = frame(height, width)
    results = SeqFormerResize(scale=scale)(dict(img=img))
    new_h, new_w = results['img_shape']
    expected = pil_bilinear_bgr(img, new_h, new_w)
    assert results['img'].shape == (new_h, new_w, 3)
    np.testing.assert_array_equal(results['img'], expected)
    # Antialiased: not OpenCV's bilinear (which skips pixels when shrinking).
    if new_h < height:
        assert not np.array_equal(
            results['img'],
            cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR))


def test_non_contiguous_frames_resize_like_their_copies():
    img = frame(120, 200)[:, ::-1]  # a flipped view, as after RandomFlip
    out = SeqFormerResize(scale=90)(dict(img=img))['img']
    ref = SeqFormerResize(scale=90)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, ref)


def test_float_frames_are_refused_with_their_path():
    with pytest.raises(TypeError, match='uint8.*a/b.jpg'):
        SeqFormerResize(scale=90)(
            dict(img=np.zeros((10, 10, 3), np.float32), img_path='a/b.jpg'))


@pytest.mark.parametrize('height, width, scale', [(1080, 1920, 360),
                                                  (37, 53, 360),
                                                  (203, 157, (192, 96)),
                                                  (480, 854, 360)])
def test_masks_are_torch_nearest_then_threshold(height, width, scale):
    rng = np.random.default_rng(1)
    masks = (rng.random((3, height, width)) > 0.5).astype(np.uint8)
    results = SeqFormerResize(scale=scale)(
        dict(
            img=frame(height, width),
            gt_masks=BitmapMasks(masks, height, width)))
    new_h, new_w = results['img_shape']
    official = F.interpolate(
        torch.from_numpy(masks)[:, None].float(), (new_h, new_w),
        mode='nearest')[:, 0] > 0.5
    out = results['gt_masks']
    assert (out.height, out.width) == (new_h, new_w)
    np.testing.assert_array_equal(out.masks, official.numpy())


def test_mask_resize_picks_torch_nearest_pixels_for_every_size():
    # Every size from 1 to 80 to every size from 1 to 170: down, up, twice,
    # the same, and the float32 rounding of in / out (torch's kernel).
    rng = np.random.default_rng(0)
    for in_size in range(1, 81):
        masks = rng.integers(0, 2, (2, in_size, 3), dtype=np.uint8)
        for out_size in range(1, 171):
            expected = F.interpolate(
                torch.from_numpy(masks)[:, None].float(), (out_size, 3),
                mode='nearest')[:, 0] > 0.5
            np.testing.assert_array_equal(
                resize_masks_nearest(masks, out_size, 3),
                expected.numpy(),
                err_msg=f'{in_size} -> {out_size}')
    masks = rng.integers(0, 2, (3, 37, 53), dtype=np.uint8)
    expected = F.interpolate(
        torch.from_numpy(masks)[:, None].float(),
        (112, 161), mode='nearest')[:, 0] > 0.5
    np.testing.assert_array_equal(
        resize_masks_nearest(masks, 112, 161), expected.numpy())


def test_no_masks_resize_to_an_empty_array():
    out = resize_masks_nearest(np.zeros((0, 30, 40), np.uint8), 15, 20)
    assert out.shape == (0, 15, 20) and out.dtype == np.uint8


def test_boxes_and_metadata_follow_mmdet_resize():
    boxes = torch.tensor([[10.0, 20.0, 1000.0, 700.0], [0, 0, 1920, 1080]])
    results = SeqFormerResize(scale=360)(
        dict(img=frame(1080, 1920), gt_bboxes=HorizontalBoxes(boxes)))
    assert results['img_shape'] == (360, 640)
    assert results['scale'] == (640, 360)
    assert results['scale_factor'] == (640 / 1920, 360 / 1080)
    # The official code scales boxes by (new_w / w, new_h / h) in float32.
    ratios = torch.tensor([640 / 1920, 360 / 1080] * 2)
    torch.testing.assert_close(
        results['gt_bboxes'].tensor, boxes * ratios, rtol=0, atol=0)
    np.testing.assert_allclose(results['homography_matrix'],
                               np.diag([640 / 1920, 360 / 1080, 1.0]))


def test_random_choice_resize_sets_the_scale_shared_over_a_clip():
    broadcast = TransformBroadcaster(
        share_random_params=True,
        transforms=[
            dict(
                type='RandomChoiceResize',
                scales=[400, (768, 288)],
                resize_type='SeqFormerResize')
        ])
    assert isinstance(broadcast.transforms.transforms[0], RandomChoiceResize)
    seen = set()
    np.random.seed(0)
    for _ in range(12):
        clip = broadcast(
            dict(img=[frame(1080, 1920, seed=t) for t in range(3)]))
        shapes = {img.shape[:2] for img in clip['img']}
        assert len(shapes) == 1
        seen |= shapes
    # An int is a shorter side with no max: (400, 711); (768, 288) bounds
    # the longer side at 768 and gives (288, 512).
    assert seen == {(400, 711), (288, 512)}


def test_registered_and_repr():
    resize = TRANSFORMS.build(dict(type='SeqFormerResize', scale=360))
    assert isinstance(resize, SeqFormerResize)
    assert repr(resize) == \
        'SeqFormerResize(scale=360, clip_object_border=True)'


def test_joint_config_coco_clips_get_the_official_training_sizes():
    """The COCO pseudo-clip pipeline of the joint config (after loading):
    every clip has one size, the official rule's output for a train scale,
    of the whole image or of a 384-600 crop of it."""
    from mmcv.transforms import Compose
    from mmengine.config import Config

    from mmseqformer.testing import REPO_ROOT
    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/_base_/datasets/youtube_vis_2019_coco_joint.py')
    coco = cfg.train_dataloader.dataset.datasets[1]
    assert coco.pipeline[0]['imdecode_backend'] == 'pillow'
    pipeline = Compose(coco.pipeline[2:-1])  # from ImageToPseudoClip
    scales = (288, 320, 352, 392, 416, 448, 480, 512)
    whole = {shorter_side_resize_shape(480, 640, s, 768) for s in scales}
    cropped = {
        shorter_side_resize_shape(h, w, s, 768)
        for h in range(384, 601) for w in range(384, 601) for s in scales
    }
    masks = np.zeros((2, 480, 640), np.uint8)
    masks[0, 100:300, 100:300] = 1
    masks[1, 200:400, 300:600] = 1
    np.random.seed(0)
    branches = set()
    for _ in range(20):
        clip = pipeline(
            dict(
                img=frame(480, 640),
                gt_masks=BitmapMasks(masks, 480, 640),
                gt_bboxes_labels=np.array([0, 1]),
                img_path='coco.jpg',
                img_id=1))
        if clip is None:  # no instance left after a crop
            continue
        shapes = {img.shape[:2] for img in clip['img']}
        shapes |= {(m.height, m.width) for m in clip['gt_masks']}
        assert len(shapes) == 1
        shape = shapes.pop()
        assert shape in whole | cropped, shape
        branches.add('whole' if shape in whole else 'crop')
    assert branches == {'whole', 'crop'}
