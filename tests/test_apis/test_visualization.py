"""The video instance visualiser: filled masks in each track's colour,
contours, labels beside the objects, small frames upscaled; and the strip
of frames built from it."""
import itertools
import types

import cv2
import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from mmdet.registry import VISUALIZERS
from mmdet.visualization import TrackLocalVisualizer
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmseqformer.apis import (VideoPrediction, build_video_visualizer,
                              draw_instances, prediction_strip)
from mmseqformer.visualization import (VideoInstanceVisualizer, compose_grid,
                                       contour_colour, evenly_spaced,
                                       place_label, resize_masks, track_colour,
                                       upscale_frame, upscaled_size)

CLASSES = ('ellipse', 'rectangle', 'triangle')
HEIGHT, WIDTH = 96, 128
_names = itertools.count()


def new_visualizer(**kwargs) -> VideoInstanceVisualizer:
    """A visualiser under a name of its own (they are named singletons)."""
    visualizer = VISUALIZERS.build(
        dict(
            type='VideoInstanceVisualizer',
            name=f'test_visualization_{next(_names)}',
            **kwargs))
    visualizer.dataset_meta = dict(classes=CLASSES)
    return visualizer


def frame_rgb() -> np.ndarray:
    """A (96, 128, 3) frame with structure (ramps), so that an unchanged
    pixel is told from a changed one."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    return np.stack([40 + xs, 60 + ys, 200 - xs], 2).astype(np.uint8)


def box_mask(y1, y2, x1, x2) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def instances(masks, ids, scores, labels=None) -> InstanceData:
    """``pred_track_instances`` as the API packs them."""
    masks = np.stack(masks)
    boxes = []
    for mask in masks:
        ys, xs = np.nonzero(mask)
        boxes.append([xs.min(), ys.min(
        ), xs.max() + 1, ys.max() + 1] if len(xs) else [0, 0, 0, 0])
    return InstanceData(
        masks=torch.from_numpy(masks),
        bboxes=torch.tensor(boxes, dtype=torch.float32),
        labels=torch.tensor(labels or [2] * len(ids)),
        scores=torch.tensor(scores, dtype=torch.float32),
        instances_id=torch.tensor(ids))


#: Two tracks far apart, ids 3 and 7, and a low-scoring one (id 9).
MASK_3 = box_mask(30, 60, 20, 50)
MASK_7 = box_mask(40, 80, 80, 115)
MASK_9 = box_mask(4, 18, 60, 74)


def two_tracks(low_score=0.1) -> InstanceData:
    return instances([MASK_3, MASK_7, MASK_9], [3, 7, 9],
                     [0.87, 0.8, low_score])


def draw(visualizer, data, score_thr=0.3) -> np.ndarray:
    """Draw through the API (BGR in and out), return RGB."""
    return draw_instances(visualizer,
                          frame_rgb()[..., ::-1].copy(), data,
                          score_thr)[..., ::-1]


def test_small_frames_are_upscaled_to_a_shorter_side_of_480():
    assert upscaled_size(96, 128) == (480, 640)
    assert upscaled_size(100, 300) == (480, 1440)
    assert upscaled_size(300, 100) == (1440, 480)
    assert upscaled_size(720, 1280) == (720, 1280)  # large: as it is
    drawn = draw(new_visualizer(), two_tracks())
    assert drawn.shape == (480, 640, 3)
    big = np.zeros((500, 700, 3), np.uint8)
    visualizer = new_visualizer()
    out = draw_instances(visualizer, big, InstanceData(), 0.3)
    assert out.shape == big.shape and (out == big).all()


def test_masks_are_filled_with_the_track_colour_and_outlined():
    visualizer = new_visualizer()
    drawn = draw(visualizer, two_tracks()).astype(int)
    plain = upscale_frame(frame_rgb()).astype(int)
    alpha = visualizer.alpha
    assert alpha == 0.5
    colours = {}
    for track_id, mask in ((3, MASK_3), (7, MASK_7)):
        big = resize_masks(mask[None], (480, 640))[0]
        # Deep inside: the frame blended with the track's colour.
        inner = cv2.erode(big.astype(np.uint8), np.ones((9, 9))) > 0
        expected = np.rint((1 - alpha) * plain[inner] +
                           alpha * np.array(track_colour(track_id)))
        assert np.abs(drawn[inner] - expected).max() <= 1
        colours[track_id] = (drawn[inner] - plain[inner] * (1 - alpha)).mean(0)
        # The border: the darker shade of the colour.
        border = big & ~(cv2.erode(big.astype(np.uint8), np.ones((3, 3))) > 0)
        on_contour = (drawn[border] == contour_colour(
            track_colour(track_id))).all(1)
        assert on_contour.mean() > 0.95
    assert track_colour(3) != track_colour(7)
    assert np.abs(colours[3] - colours[7]).max() > 40


def test_pixels_far_from_the_instances_are_the_upscaled_frame():
    drawn = draw(new_visualizer(), two_tracks())
    plain = upscale_frame(frame_rgb())
    # Left of track 3 (columns 100+) and below track 7 (rows 400+).
    assert (drawn[:, :90] == plain[:, :90]).all()
    assert (drawn[410:] == plain[410:]).all()


def test_instances_below_the_score_threshold_are_not_drawn():
    plain = upscale_frame(frame_rgb())
    region = (slice(22, 88), slice(305, 368))  # track 9, upscaled
    drawn = draw(new_visualizer(), two_tracks(low_score=0.1), score_thr=0.3)
    assert (drawn[region] == plain[region]).all()
    drawn = draw(new_visualizer(), two_tracks(low_score=0.3), score_thr=0.3)
    assert (drawn[region] != plain[region]).any(2).mean() > 0.5
    nothing = draw(new_visualizer(), two_tracks(), score_thr=0.95)
    assert (nothing == plain).all()


def test_colours_follow_the_id_not_the_order():
    one = draw(new_visualizer(), two_tracks())
    swapped = instances([MASK_7, MASK_3], [7, 3], [0.8, 0.87])
    two = draw(new_visualizer(), swapped)
    assert (one[200:280, 130:220] == two[200:280, 130:220]).all()
    # Neighbouring ids get clearly different colours.
    for track_id in range(50):
        first = np.array(track_colour(track_id))
        assert np.abs(first - track_colour(track_id + 1)).max() > 60


def test_an_empty_mask_is_skipped():
    empty = np.zeros((HEIGHT, WIDTH), dtype=bool)
    data = instances([empty, MASK_3], [5, 3], [0.9, 0.87])
    drawn = draw(new_visualizer(), data)
    alone = draw(new_visualizer(), instances([MASK_3], [3], [0.87]))
    assert (drawn == alone).all()
    only_empty = draw(new_visualizer(), instances([empty], [5], [0.9]))
    assert (only_empty == upscale_frame(frame_rgb())).all()


def test_the_label_reads_class_id_and_score():
    visualizer = new_visualizer()
    assert visualizer._label_text(two_tracks(), 0) == 'triangle 3 | 0.87'


def test_the_visualiser_is_mmdets_track_visualiser_for_configs():
    visualizer = new_visualizer()
    assert isinstance(visualizer, TrackLocalVisualizer)
    model = types.SimpleNamespace(
        cfg=Config(dict(visualizer=dict(type='TrackLocalVisualizer'))),
        dataset_meta=dict(classes=CLASSES))
    assert isinstance(build_video_visualizer(model), VideoInstanceVisualizer)
    runtime = Config.fromfile('configs/_base_/seqformer_runtime.py')
    assert runtime.visualizer.type == 'VideoInstanceVisualizer'


def rect_inside(rect, canvas) -> bool:
    x1, y1, x2, y2 = rect
    return 0 <= x1 < x2 <= canvas[1] and 0 <= y1 < y2 <= canvas[0]


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize(
    'box,where',
    [
        ((200, 100, 300, 200), 'above'),
        ((0, 0, 50, 40), 'below'),  # touches the top-left corner
        ((560, 420, 640, 480), 'above'),  # touches the bottom-right corner
        ((100, 0, 300, 480), 'right'),  # as tall as the picture
        ((500, 0, 640, 480), 'left'),  # tall, at the right edge
        ((0, 0, 640, 480), 'inside'),  # the whole picture
    ])
def test_labels_go_beside_the_object_and_inside_the_picture(box, where):
    canvas, size = (480, 640), (120, 25)
    rect = place_label(size, box, canvas, gap=2)
    assert rect_inside(rect, canvas)
    assert (rect[2] - rect[0], rect[3] - rect[1]) == size
    if where == 'inside':
        assert rect[:2] == (0, 0)
        return
    assert not overlaps(rect, box)
    if where == 'above':
        assert rect[3] == box[1] - 2
    elif where == 'below':
        assert rect[1] == box[3] + 2
    elif where == 'right':
        assert rect[0] == box[2] + 2
    else:
        assert rect[2] == box[0] - 2


def test_labels_avoid_each_other_and_fit_when_too_wide():
    canvas = (480, 640)
    first = place_label((120, 25), (100, 100, 200, 200), canvas)
    second = place_label((120, 25), (110, 120, 220, 220), canvas, [first])
    assert not overlaps(first, second)
    assert not overlaps(second, (110, 120, 220, 220))
    # Objects as large as the picture: their labels cover them, not each
    # other.
    whole = (0, 0, 640, 480)
    first = place_label((120, 25), whole, canvas)
    second = place_label((120, 25), whole, canvas, [first])
    assert rect_inside(second, canvas) and not overlaps(first, second)
    wide = place_label((900, 25), (100, 100, 200, 200), canvas)
    assert rect_inside(wide, canvas)


def test_labels_stay_inside_for_any_box():
    rng = np.random.default_rng(0)
    canvas = (480, 640)
    for _ in range(300):
        x1, x2 = np.sort(rng.integers(0, 641, 2))
        y1, y2 = np.sort(rng.integers(0, 481, 2))
        box = (x1, y1, max(x2, x1 + 1), max(y2, y1 + 1))
        size = (int(rng.integers(10, 300)), int(rng.integers(10, 60)))
        rect = place_label(size, box, canvas)
        assert rect_inside(rect, canvas)
        room_above = box[1] >= size[1] + 2
        room_below = canvas[0] - box[3] >= size[1] + 2
        if room_above or room_below:
            assert not overlaps(rect, box)


def test_frames_are_evenly_spaced_and_laid_out_on_a_grid():
    assert evenly_spaced(10, 4) == [0, 3, 6, 9]
    assert evenly_spaced(3, 6) == [0, 1, 2]
    assert evenly_spaced(7, 1) == [0]
    with pytest.raises(ValueError):
        evenly_spaced(5, 0)
    cells = [[np.zeros((4, 6, 3), np.uint8)] * 3,
             [np.ones((2, 3, 3), np.uint8)] * 3]
    grid = compose_grid(cells, gap=2)
    assert grid.shape == (2 * 4 + 2, 3 * 6 + 2 * 2, 3)
    assert (grid[4:6] == 255).all() and (grid[:, 6:8] == 255).all()
    assert (grid[6:] != 255).any() and (grid[6:, :6] == 1).all()


def test_the_strip_shows_the_frames_above_their_predictions():
    frames = np.stack([frame_rgb()[..., ::-1]] * 5)
    rle = mask_util.encode(
        np.asfortranarray(MASK_3[..., None].astype(np.uint8)))[0]
    prediction = VideoPrediction(
        scores=np.array([0.9]),
        labels=np.array([1]),
        instance_ids=np.array([4]),
        masks=[[rle]] * 5,
        bboxes=[np.array([[20., 30., 50., 60.]])] * 5,
        frame_size=(HEIGHT, WIDTH),
        class_names=CLASSES)
    strip = prediction_strip(
        prediction, frames, new_visualizer(), num_frames=3, gap=4)
    assert strip.shape == (2 * 480 + 4, 3 * 640 + 2 * 4, 3)
    plain = upscale_frame(frames[0])
    for column in range(3):
        left = column * (640 + 4)
        top, bottom = strip[:480, left:left + 640], strip[484:,
                                                          left:left + 640]
        assert (top == plain).all()
        assert (bottom[200:280, 130:220] != plain[200:280, 130:220]).all(2) \
            .mean() > 0.9
        assert (bottom[:, :90] == plain[:, :90]).all()
