"""Instance-id PNGs: one image per frame whose pixel value is an instance id.

The layout of DAVIS and YouTube-VOS annotations: 0 is background, ``n > 0``
is instance ``n`` of the video. Ids up to 255 are written as 8-bit palette
PNGs (each id in its own colour in an image viewer, as DAVIS); larger ids as
16-bit grayscale PNGs (up to 65535). Reading accepts both, plus 8-bit
grayscale and 1-bit images.

Every writer of these files in mmseqformer (the YouTube-VIS -> PNG converter
and :meth:`~mmseqformer.apis.VideoPrediction.write_instance_pngs`) composes
its frame with :func:`compose_instance_id_map` and writes it with
:func:`write_instance_png`, so both follow one overlap rule and one file
format.

Overlap rule: one pixel holds one id, so where masks overlap the instance
painted last wins. Instances are painted by increasing priority (the score
for predictions) and, at equal priority or with none, in the given order:
the higher-scoring, else the later, instance is on top.
"""
import os
from typing import Optional

import numpy as np
from PIL import Image

from ...utils.user_errors import InputFormatError, InputNotFoundError

#: Largest id of an 8-bit (palette) PNG; larger ids make a 16-bit PNG.
MAX_8BIT_ID = 255
#: Largest id a 16-bit PNG holds.
MAX_16BIT_ID = 65535


def instance_png_name(frame_name: str) -> str:
    """The PNG of a frame: its name with the extension ``.png``.

    Args:
        frame_name (str): A frame file name (``00005.jpg``) or an index.
    """
    if isinstance(frame_name, (int, np.integer)):
        frame_name = f'{int(frame_name):05d}'
    return os.path.splitext(str(frame_name))[0] + '.png'


def _palette() -> list:
    """256 distinct RGB colours, black for 0 (the colour map of the PASCAL
    VOC and DAVIS annotations: the bits of the index spread over the high
    bits of red, green and blue)."""
    colours = []
    for index in range(256):
        red = green = blue = 0
        value = index
        for shift in range(7, -1, -1):
            red |= (value & 1) << shift
            green |= ((value >> 1) & 1) << shift
            blue |= ((value >> 2) & 1) << shift
            value >>= 3
        colours.extend((red, green, blue))
    return colours


PALETTE = _palette()


def compose_instance_id_map(
        masks: np.ndarray,
        ids: np.ndarray,
        priorities: Optional[np.ndarray] = None) -> np.ndarray:
    """One frame's id map from its instances' masks.

    Args:
        masks (np.ndarray): (k, H, W) bool masks.
        ids (np.ndarray): (k, ) ids >= 1 written for each mask.
        priorities (np.ndarray, optional): (k, ) priorities (scores); the
            highest is painted last, so it is on top where masks overlap.
            Equal priorities, or none, keep the given order (later on
            top).

    Returns:
        np.ndarray: (H, W) int64 map, 0 where no mask covers the pixel.
    """
    masks = np.asarray(masks, dtype=bool)
    ids = np.asarray(ids, dtype=np.int64)
    if masks.ndim != 3 or len(ids) != len(masks):
        raise ValueError(f'expected (k, H, W) masks and k ids, got masks of '
                         f'shape {masks.shape} and {len(ids)} ids')
    if len(ids) and ids.min() < 1:
        raise ValueError(f'instance ids must be >= 1 (0 is background), '
                         f'got {ids.min()}')
    id_map = np.zeros(masks.shape[1:], dtype=np.int64)
    order = np.arange(len(ids)) if priorities is None else np.argsort(
        np.asarray(priorities), kind='stable')
    for index in order:
        id_map[masks[index]] = ids[index]
    return id_map


def count_overlapping_pixels(masks: np.ndarray) -> int:
    """Pixels covered by more than one of the (k, H, W) masks (they lose
    all but one id in a PNG)."""
    masks = np.asarray(masks, dtype=bool)
    return int((masks.sum(0) > 1).sum()) if len(masks) else 0


def write_instance_png(path: str,
                       id_map: np.ndarray,
                       max_id: Optional[int] = None) -> None:
    """Write an (H, W) id map as an instance-id PNG.

    Args:
        path (str): The PNG file; its folder is made if needed.
        id_map (np.ndarray): (H, W) ids, 0 = background.
        max_id (int, optional): The largest id of the whole video, so that
            all its frames have one bit depth (8-bit palette up to
            :data:`MAX_8BIT_ID`, else 16-bit). Defaults to the map's own
            largest id.
    """
    id_map = np.asarray(id_map)
    if id_map.ndim != 2:
        raise ValueError(f'{path}: an id map is (H, W), got shape '
                         f'{id_map.shape}')
    largest = int(id_map.max()) if id_map.size else 0
    if id_map.size and int(id_map.min()) < 0:
        raise ValueError(f'{path}: ids must be >= 0, got {id_map.min()}')
    max_id = largest if max_id is None else max(int(max_id), largest)
    if max_id > MAX_16BIT_ID:
        raise ValueError(f'{path}: id {max_id} does not fit a 16-bit PNG '
                         f'(at most {MAX_16BIT_ID} instances per video)')
    if max_id <= MAX_8BIT_ID:
        image = Image.fromarray(id_map.astype(np.uint8))
        image.putpalette(PALETTE)  # an 8-bit grayscale image becomes 'P'
    else:
        image = Image.fromarray(id_map.astype(np.uint16))
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    image.save(path, format='PNG')


#: PIL modes that hold one value per pixel: the id.
_ID_MODES = ('P', 'L', '1', 'I', 'I;16', 'I;16B', 'I;16L')


def read_instance_png(path: str) -> np.ndarray:
    """Read an instance-id PNG (8-bit palette or grayscale, 16-bit, 1-bit).

    Args:
        path (str): The PNG file.

    Returns:
        np.ndarray: (H, W) int64 ids, 0 = background. For a palette PNG
        the ids are the palette indices, not the colours.
    """
    try:
        with Image.open(path) as image:
            if image.format != 'PNG':
                raise InputFormatError(path, f'not a PNG ({image.format})')
            if image.mode not in _ID_MODES:
                raise InputFormatError(
                    path, 'an instance-id PNG has one channel (8-bit '
                    f'palette or grayscale, or 16-bit grayscale), this one '
                    f'is {image.mode}; colour-coded masks must first be '
                    'turned into ids')
            return np.asarray(image).astype(np.int64)
    except FileNotFoundError:
        raise InputNotFoundError(path, 'no such PNG') from None
    except OSError as err:  # PIL's error for files it cannot read
        raise InputFormatError(path,
                               f'cannot be read as a PNG ({err})') from None
