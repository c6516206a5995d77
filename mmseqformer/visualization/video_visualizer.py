"""Pictures of video instances that a person can read.

:class:`VideoInstanceVisualizer` draws the instances of one frame (mmdet's
``pred_track_instances``) with OpenCV and numpy only, so a frame is drawn
the same way every time, fast, at any size:

* **masks filled** in the track's colour, half transparent (``alpha``), so
  the object stays visible under its colour; a thin **contour** of the mask
  in a darker shade of the same colour shows the border even where two
  masks touch or the colour is close to the background's;
* **one colour per track id**, the same in every frame (:func:`track_colour`:
  hues a golden-ratio turn apart, so neighbouring ids differ clearly);
* a **label** ``class id | score`` (``triangle 1 | 0.87``) on a filled
  rectangle of the track's colour, its font proportional to the picture,
  placed beside the object rather than on it (:func:`place_label`: above
  the mask's box, else below, else left or right, else the nearest free
  spot) and always fully inside the picture;
* **small frames upscaled** before drawing (:func:`upscaled_size`: shorter
  side ``min_size``, 480 by default), so a 128x96 synthetic video gives
  640x480 pictures whose labels are legible; the image is interpolated
  linearly, the masks stay crisp (resized, then thresholded at one half).
  Larger frames are drawn at their size.

mmdet's ``TrackLocalVisualizer`` (its base class) draws with matplotlib:
mask outlines only, labels bigger than small objects and on top of them.
This class keeps its interface (``add_datasample``, ``get_image``,
``dataset_meta``, the ``VISUALIZERS`` registry), so configs
(``visualizer=dict(type='VideoInstanceVisualizer')``) and mmdet's
``TrackVisualizationHook`` use it unchanged.

Images are RGB here, as in every mmengine visualiser; colours are RGB.
"""
import colorsys
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmdet.registry import VISUALIZERS
from mmdet.visualization import TrackLocalVisualizer
from mmengine.dist import master_only
from mmengine.structures import InstanceData

#: The shorter side small frames are upscaled to before drawing.
MIN_DRAW_SIZE = 480

#: The golden ratio's fractional part: consecutive ids' hues this far apart.
_HUE_STEP = 0.6180339887498949

#: Label font (OpenCV Hershey: vector glyphs that scale cleanly).
_FONT = cv2.FONT_HERSHEY_SIMPLEX

Box = Tuple[float, float, float, float]
Rect = Tuple[int, int, int, int]


def track_colour(track_id: int) -> Tuple[int, int, int]:
    """The colour of a track, the same for an id in every frame and call.

    Hues of consecutive ids are a golden-ratio turn (about 222 degrees)
    apart, so ids drawn side by side get clearly different colours; every
    colour is saturated and bright enough to show through a blend.

    Args:
        track_id (int): The instance id.

    Returns:
        tuple[int, int, int]: RGB, 0-255.
    """
    hue = (0.12 + int(track_id) * _HUE_STEP) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return (round(red * 255), round(green * 255), round(blue * 255))


def contour_colour(colour: Sequence[int]) -> Tuple[int, int, int]:
    """The darker shade of ``colour`` (RGB) for contours and labels."""
    return tuple(int(round(channel * 0.55)) for channel in colour)


def upscaled_size(height: int,
                  width: int,
                  min_size: int = MIN_DRAW_SIZE) -> Tuple[int, int]:
    """The size a frame is drawn at: shorter side ``min_size`` (aspect
    kept) if it is shorter, else its own size.

    Returns:
        tuple[int, int]: (H', W').
    """
    shorter = min(height, width)
    if shorter >= min_size or shorter <= 0:
        return height, width
    scale = min_size / shorter
    return (max(min_size, int(round(height * scale))),
            max(min_size, int(round(width * scale))))


def upscale_frame(image: np.ndarray,
                  min_size: int = MIN_DRAW_SIZE) -> np.ndarray:
    """``image`` (H, W, C) resized (linearly) to :func:`upscaled_size`;
    the image itself if it is large enough."""
    height, width = image.shape[:2]
    size = upscaled_size(height, width, min_size)
    if size == (height, width):
        return image
    return cv2.resize(
        image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)


def resize_masks(masks: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """(N, H, W) masks resized to ``size`` (H', W') without blur: linear
    interpolation of 0/1, thresholded at one half. Returns (N, H', W')
    bool."""
    masks = masks.astype(bool)
    if masks.shape[1:] == tuple(size):
        return masks
    out = np.zeros((len(masks), size[0], size[1]), dtype=bool)
    for index, mask in enumerate(masks):
        out[index] = cv2.resize(
            mask.astype(np.float32), (size[1], size[0]),
            interpolation=cv2.INTER_LINEAR) >= 0.5
    return out


def mask_box(mask: np.ndarray) -> Optional[Box]:
    """The box (x1, y1, x2, y2) around an (H, W) mask's pixels, the ends
    exclusive (a one-pixel mask at (x, y) gives (x, y, x + 1, y + 1));
    None for an empty mask."""
    rows = np.flatnonzero(mask.any(1))
    if not len(rows):
        return None
    cols = np.flatnonzero(mask.any(0))
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1),
            float(rows[-1] + 1))


def _overlaps(rect: Sequence[float], other: Sequence[float]) -> bool:
    """Whether two (x1, y1, x2, y2) rectangles (ends exclusive) share
    area."""
    return (rect[0] < other[2] and other[0] < rect[2] and rect[1] < other[3]
            and other[1] < rect[3])


def place_label(size: Tuple[int, int],
                box: Sequence[float],
                canvas: Tuple[int, int],
                avoid: Sequence[Sequence[float]] = (),
                gap: int = 2) -> Rect:
    """Where a label goes: beside its object, never outside the picture.

    Tried in order, each shifted sideways to fit the picture: just above
    the object's box (left-aligned with it), just below it, right of it,
    left of it, then the free spot nearest to the box's top-left corner
    (searched over the picture). A spot is free if it overlaps neither the
    object's box nor a rectangle of ``avoid`` (labels placed before). If
    no spot is (an object that fills the picture), the label may cover the
    object but not the other labels; then it may cover those; in the end
    it goes inside the box at its top-left corner.

    Args:
        size (tuple[int, int]): The label's (width, height) in pixels.
        box (Sequence[float]): The object's (x1, y1, x2, y2), ends
            exclusive.
        canvas (tuple[int, int]): The picture's (H, W).
        avoid (Sequence[Sequence[float]]): Other (x1, y1, x2, y2)
            rectangles not to cover.
        gap (int): Pixels between the label and the object.

    Returns:
        tuple[int, int, int, int]: The label's (x1, y1, x2, y2), ends
        exclusive: ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
    """
    height, width = canvas
    label_w, label_h = min(int(size[0]), width), min(int(size[1]), height)
    label_w, label_h = max(label_w, 1), max(label_h, 1)
    bx1, by1, bx2, by2 = (float(value) for value in box)

    def clamp(x1: float, y1: float) -> Rect:
        x1 = int(min(max(np.floor(x1), 0), width - label_w))
        y1 = int(min(max(np.floor(y1), 0), height - label_h))
        return (x1, y1, x1 + label_w, y1 + label_h)

    def fits(x1: float, y1: float) -> bool:
        """Whether the label at (x1, y1) lies inside the picture."""
        return 0 <= x1 and x1 + label_w <= width and 0 <= y1 and \
            y1 + label_h <= height

    top = np.floor(by1) - gap - label_h
    bottom = np.ceil(by2) + gap
    right = np.ceil(bx2) + gap
    left = np.floor(bx1) - gap - label_w
    # Above and below slide sideways into the picture, right and left slide
    # up or down; the side away from the object must fit as it is.
    x_inside = min(max(bx1, 0), width - label_w)
    y_inside = min(max(by1, 0), height - label_h)
    candidates = [(x_inside, top), (x_inside, bottom), (right, y_inside),
                  (left, y_inside)]
    # Covering another label hides it: worse than covering the object.
    for blocked in ([box] + list(avoid), list(avoid), [box]):
        if not blocked:
            continue
        for x1, y1 in candidates:
            if not fits(x1, y1):
                continue
            rect = clamp(x1, y1)
            if not any(_overlaps(rect, other) for other in blocked):
                return rect
        rect = _nearest_free_spot((label_w, label_h), (bx1, by1), canvas,
                                  blocked)
        if rect is not None:
            return rect
    return clamp(bx1, by1)


def _nearest_free_spot(size: Tuple[int, int], anchor: Tuple[float, float],
                       canvas: Tuple[int, int],
                       blocked: Sequence[Sequence[float]]) -> Optional[Rect]:
    """The label position (on a grid of half a label's height) nearest to
    ``anchor`` (x, y) that overlaps no rectangle of ``blocked``; None if
    there is none."""
    (label_w, label_h), (height, width) = size, canvas
    step = max(1, label_h // 2)
    xs = np.unique(np.r_[np.arange(0, width - label_w + 1, step),
                         width - label_w])
    ys = np.unique(np.r_[np.arange(0, height - label_h + 1, step),
                         height - label_h])
    grid_x, grid_y = np.meshgrid(xs, ys)
    free = np.ones(grid_x.shape, dtype=bool)
    for x1, y1, x2, y2 in blocked:
        free &= ~((grid_x < x2) & (x1 < grid_x + label_w) & (grid_y < y2) &
                  (y1 < grid_y + label_h))
    if not free.any():
        return None
    distance = np.hypot(grid_x - anchor[0], grid_y - anchor[1])
    distance[~free] = np.inf
    row, col = np.unravel_index(np.argmin(distance), distance.shape)
    x1, y1 = int(grid_x[row, col]), int(grid_y[row, col])
    return (x1, y1, x1 + label_w, y1 + label_h)


def blend_mask(image: np.ndarray, mask: np.ndarray, colour: Sequence[int],
               alpha: float) -> None:
    """Blend ``colour`` into ``image`` (H, W, 3) uint8 where ``mask``
    (H, W) bool is set, in place: ``(1 - alpha) * pixel + alpha * colour``,
    rounded."""
    pixels = image[mask].astype(np.float32)
    blended = (1.0 - alpha) * pixels + alpha * np.asarray(
        colour, dtype=np.float32)
    image[mask] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _as_numpy(value) -> np.ndarray:
    """A tensor, mmdet mask structure or array as an ndarray."""
    if hasattr(value, 'to_ndarray'):  # mmdet BitmapMasks / PolygonMasks
        return value.to_ndarray()
    if hasattr(value, 'tensor'):  # mmdet boxes (HorizontalBoxes)
        value = value.tensor
    if hasattr(value, 'detach'):
        return value.detach().cpu().numpy()
    return np.asarray(value)


class DrawStyle:
    """Sizes of one picture's drawing, proportional to its shorter side
    (the values are those of a 480-pixel side, scaled).

    Attributes:
        font_scale (float): OpenCV font scale of the labels.
        thickness (int): Stroke of the label text.
        contour (int): Thickness of the mask contours.
        pad (int): Pixels around the label text inside its rectangle.
        gap (int): Pixels between a label and its object.
    """

    def __init__(self, height: int, width: int) -> None:
        unit = min(height, width) / MIN_DRAW_SIZE
        self.font_scale = max(0.35, 0.6 * unit)
        self.thickness = max(1, int(round(1.5 * unit)))
        self.contour = max(1, int(round(2 * unit)))
        self.pad = max(2, int(round(4 * unit)))
        self.gap = max(1, int(round(3 * unit)))


@VISUALIZERS.register_module()
class VideoInstanceVisualizer(TrackLocalVisualizer):
    """Draws tracked instances: filled masks with contours, a colour per
    track id, labels beside the objects; small frames upscaled first.

    See the module's docstring for what is drawn and why. Drawing uses
    OpenCV; mmengine's matplotlib primitives (``draw_bboxes``, ...) are not
    used, and ``get_image`` returns the last picture drawn (or the image
    last set with ``set_image``).

    Args:
        name (str): The instance's name (visualisers are named
            singletons).
        image (np.ndarray, optional): An (H, W, 3) RGB image to start with.
        vis_backends (list[dict], optional): Where ``add_datasample``
            stores pictures (mmengine's backends).
        save_dir (str, optional): The backends' folder.
        line_width (int or float): Thickness of the boxes drawn for
            instances without masks, at a 480-pixel shorter side.
        alpha (float): Opacity of the mask fill.
        min_size (int): Frames whose shorter side is below this are
            upscaled to it before drawing; 0 draws every frame at its size.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 line_width: float = 2,
                 alpha: float = 0.5,
                 min_size: int = MIN_DRAW_SIZE) -> None:
        self._drawn = None
        self.min_size = int(min_size)
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir,
            line_width=line_width,
            alpha=alpha)

    # ------------------------------------------------------------ image
    def set_image(self, image: np.ndarray) -> None:
        """Keep ``image`` (H, W, 3) RGB as the current picture (no
        matplotlib figure is drawn)."""
        image = np.ascontiguousarray(image, dtype=np.uint8)
        self._image = image
        self._drawn = image
        self.height, self.width = image.shape[:2]

    def get_image(self) -> np.ndarray:
        """The last picture drawn, (H', W', 3) RGB uint8 (H', W' the
        upscaled size of the input frame)."""
        assert self._drawn is not None, 'nothing drawn yet'
        return self._drawn

    # ------------------------------------------------------------ drawing
    def _instance_colours(self, instances: InstanceData,
                          count: int) -> List[Tuple[int, int, int]]:
        """One RGB colour per instance: by track id, else by label."""
        for key in ('instances_id', 'instances_ids'):
            if key in instances:
                ids = _as_numpy(instances.get(key)).reshape(-1)
                return [track_colour(int(value)) for value in ids]
        if 'labels' in instances:
            labels = _as_numpy(instances.labels).reshape(-1)
            return [track_colour(int(value)) for value in labels]
        return [track_colour(index) for index in range(count)]

    def _label_text(self, instances: InstanceData, index: int) -> str:
        """``class id | score`` of one instance (parts it lacks left
        out)."""
        classes = self.dataset_meta.get('classes') if self.dataset_meta \
            else None
        parts = []
        if 'labels' in instances:
            label = int(_as_numpy(instances.labels).reshape(-1)[index])
            parts.append(classes[label] if classes is not None
                         and 0 <= label < len(classes) else f'class {label}')
        for key in ('instances_id', 'instances_ids'):
            if key in instances:
                parts.append(
                    str(int(_as_numpy(instances.get(key)).reshape(-1)[index])))
                break
        text = ' '.join(parts)
        if 'scores' in instances:
            score = float(_as_numpy(instances.scores).reshape(-1)[index])
            text = f'{text} | {score:.2f}' if text else f'{score:.2f}'
        return text

    def draw_frame_instances(self, image: np.ndarray,
                             instances: InstanceData) -> np.ndarray:
        """Draw every instance of ``instances`` on ``image``.

        Args:
            image (np.ndarray): (H, W, 3) RGB uint8 frame.
            instances (InstanceData): Optional fields ``masks`` (N, H, W)
                bool/uint8 (tensor or array), ``bboxes`` (N, 4) x1 y1 x2
                y2 in the frame's pixels, ``labels`` (N, ), ``scores``
                (N, ), ``instances_id`` (N, ) track ids. Filter by score
                before (``add_datasample`` does).

        Returns:
            np.ndarray: (H', W', 3) RGB uint8, (H', W') =
            :func:`upscaled_size` of (H, W).
        """
        height, width = image.shape[:2]
        out_h, out_w = upscaled_size(height, width, self.min_size)
        canvas = np.ascontiguousarray(
            upscale_frame(image, self.min_size), dtype=np.uint8).copy()
        count = len(instances)
        if count == 0:
            return canvas
        style = DrawStyle(out_h, out_w)
        colours = self._instance_colours(instances, count)
        masks = None
        if 'masks' in instances:
            masks = _as_numpy(instances.masks)
            masks = resize_masks(
                masks.reshape(count, *masks.shape[-2:]), (out_h, out_w))
        bboxes = None
        if 'bboxes' in instances:
            scale = np.array([out_w / width, out_h / height] * 2)
            bboxes = _as_numpy(instances.bboxes).reshape(count, 4) * scale
        if 'scores' in instances:
            order = np.argsort(
                _as_numpy(instances.scores).reshape(-1), kind='stable')
        else:
            order = np.arange(count)

        boxes = {}  # instance -> the box its label avoids
        for index in order:  # the best-scoring instance drawn last (on top)
            colour = colours[index]
            if masks is not None:
                box = mask_box(masks[index])
                if box is None:
                    continue  # not in this frame
                blend_mask(canvas, masks[index], colour, self.alpha)
            elif bboxes is not None:
                x1, y1, x2, y2 = bboxes[index]
                if x2 <= x1 or y2 <= y1:
                    continue
                box = (x1, y1, x2, y2)
            else:
                continue
            boxes[index] = box
        if masks is not None:  # contours over every fill
            for index in order:
                if index in boxes:
                    contours, _ = cv2.findContours(
                        masks[index].astype(np.uint8), cv2.RETR_CCOMP,
                        cv2.CHAIN_APPROX_NONE)
                    cv2.drawContours(canvas, contours, -1,
                                     contour_colour(colours[index]),
                                     style.contour, cv2.LINE_8)
        else:
            thickness = max(1, int(round(self.line_width * style.contour / 2)))
            for index, box in boxes.items():
                cv2.rectangle(
                    canvas, (int(box[0]), int(box[1])),
                    (int(np.ceil(box[2])) - 1, int(np.ceil(box[3])) - 1),
                    contour_colour(colours[index]), thickness, cv2.LINE_8)

        placed = []
        for index in order[::-1]:  # the best-scoring instance places first
            if index in boxes:
                text = self._label_text(instances, index)
                placed.append(
                    self._draw_label(canvas, text, colours[index],
                                     boxes[index], placed, style))
        return canvas

    def _draw_label(self, canvas: np.ndarray, text: str, colour: Sequence[int],
                    box: Box, placed: Sequence[Rect],
                    style: DrawStyle) -> Rect:
        """Draw one label beside ``box`` on ``canvas`` (H, W, 3); returns
        its rectangle (x1, y1, x2, y2), ends exclusive."""
        (text_w, text_h), baseline = cv2.getTextSize(text, _FONT,
                                                     style.font_scale,
                                                     style.thickness)
        size = (text_w + 2 * style.pad, text_h + baseline + 2 * style.pad)
        rect = place_label(size, box, canvas.shape[:2], placed, style.gap)
        background = contour_colour(colour)
        cv2.rectangle(canvas, (rect[0], rect[1]), (rect[2] - 1, rect[3] - 1),
                      background, -1)
        luminance = (0.299 * background[0] + 0.587 * background[1] +
                     0.114 * background[2])
        text_colour = (0, 0, 0) if luminance > 140 else (255, 255, 255)
        cv2.putText(canvas, text,
                    (rect[0] + style.pad, rect[1] + style.pad + text_h), _FONT,
                    style.font_scale, text_colour, style.thickness,
                    cv2.LINE_AA)
        return rect

    def _draw_instances(self, image: np.ndarray,
                        instances: InstanceData) -> np.ndarray:
        """mmdet's hook point: :meth:`draw_frame_instances`, kept as the
        current picture."""
        self.set_image(self.draw_frame_instances(image, instances))
        return self._drawn

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: int = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> None:
        """Draw a frame's ground truth and/or predictions (side by side
        when both), then show it, write it or give it to the backends, as
        mmdet's ``TrackLocalVisualizer`` does.

        Args:
            name (str): The picture's name for the backends.
            image (np.ndarray): (H, W, 3) RGB frame.
            data_sample (DetDataSample, optional): ``gt_instances`` and/or
                ``pred_track_instances`` of the frame.
            draw_gt (bool): Draw ``gt_instances`` if present.
            draw_pred (bool): Draw ``pred_track_instances`` if present.
            show (bool): Show the picture in a window.
            wait_time (int): Seconds it is shown.
            out_file (str, optional): Write the picture there instead of
                giving it to the backends.
            pred_score_thr (float): Predictions scoring at least this are
                drawn.
            step (int): The backends' global step.
        """
        pictures = []
        if data_sample is not None:
            data_sample = data_sample.cpu()
            if draw_gt and 'gt_instances' in data_sample:
                pictures.append(
                    self.draw_frame_instances(image, data_sample.gt_instances))
            if draw_pred and 'pred_track_instances' in data_sample:
                instances = data_sample.pred_track_instances
                if 'scores' in instances:
                    keep = _as_numpy(instances.scores).reshape(-1) >= \
                        pred_score_thr
                    instances = instances[torch.from_numpy(keep)]
                pictures.append(self.draw_frame_instances(image, instances))
        if not pictures:
            pictures.append(upscale_frame(image, self.min_size))
        drawn = pictures[0] if len(pictures) == 1 else np.concatenate(
            pictures, axis=1)
        self.set_image(drawn)
        if show:
            self.show(self._drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            cv2.imwrite(out_file, self._drawn[..., ::-1])
        else:
            self.add_image(name, self._drawn, step)
