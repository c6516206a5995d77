"""Write the crafted YouTube-VIS files of the identity-metric golden test.

    python tests/data/identity_metrics/make_inputs.py

Writes, beside this script:

* ``gt.json``: ground truth in the official layout with uncompressed RLE
  (as YouTube-VIS's own files, and the only mask form TrackEval's loader
  reads), ``height``/``width`` on every annotation (TrackEval needs them);
* ``results.json``: ten predicted tracks (compressed RLE, as our metric
  writes them);
* ``results_decided.json``: the hard decisions that should remain of
  ``results.json`` at the default score threshold (0.3), chosen by hand
  here, not by our code, so the test also checks the selection.

The cases, by video (categories 1 person, 3 dog, 5 cat, 8 bird; bird has no
ground truth and no prediction):

1. ``swap``: two persons, both predicted all along, but the predictions
   exchange them after frame 2 (ID switches); masks one pixel off.
2. ``mixed``: a dog predicted exactly; a cat absent in frames 0 and 4,
   predicted in frames 1, 2 and 4 (a missed frame and a false one); a dog
   predicted only by a low-score track; a cat null in every frame; a
   false-positive person track; a second class (cat, 0.4) on the exact mask
   of the dog prediction (the same query: dropped by one class per track);
   a low-score false positive.
3. ``empty``: no ground truth; a confident and a low-score false positive.
4. ``unpredicted``: one cat in frames 0-1, no prediction at all.
"""
import json
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils

HERE = osp.dirname(osp.abspath(__file__))
CATEGORIES = [
    dict(id=1, name='person'),
    dict(id=3, name='dog'),
    dict(id=5, name='cat'),
    dict(id=8, name='bird'),
]
#: name -> (id, frames, height, width)
VIDEOS = {
    'swap': (1, 6, 24, 32),
    'mixed': (2, 5, 20, 30),
    'empty': (3, 4, 16, 16),
    'unpredicted': (4, 3, 16, 20),
}
#: Kept at the default threshold 0.3, in the order of results.json.
DECIDED = [0, 1, 2, 3, 4, 8, 9]


def box_mask(video: str, rows: tuple, cols: tuple) -> np.ndarray:
    """(H, W) uint8 mask, 1 in rows[0]:rows[1] x cols[0]:cols[1]."""
    _, _, height, width = VIDEOS[video]
    mask = np.zeros((height, width), np.uint8)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = 1
    return mask


def uncompressed_rle(mask: np.ndarray) -> dict:
    """Column-major run lengths starting with a run of zeros."""
    flat = mask.flatten(order='F')
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return dict(size=list(mask.shape), counts=counts)


def compressed_rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask))
    return dict(size=list(mask.shape), counts=rle['counts'].decode())


def track(video: str, frames: dict, encode) -> list:
    """Per-frame segmentations (None where the frame is not in frames)."""
    _, length, _, _ = VIDEOS[video]
    return [encode(frames[t]) if t in frames else None for t in range(length)]


def person_a(t: int, shift: int = 0) -> np.ndarray:
    return box_mask('swap', (2, 10), (2 + t + shift, 12 + t + shift))


def person_b(t: int, shift: int = 0) -> np.ndarray:
    return box_mask('swap', (12 + shift, 22 + shift), (16, 28))


def ground_truth() -> dict:
    videos = [
        dict(
            id=vid,
            width=width,
            height=height,
            length=length,
            file_names=[f'{name}/{t:05d}.jpg' for t in range(length)])
        for name, (vid, length, height, width) in VIDEOS.items()
    ]
    dog_c = {t: box_mask('mixed', (2, 8), (2, 10)) for t in range(5)}
    cat_d = {t: box_mask('mixed', (10, 18), (2, 9)) for t in (1, 2, 3)}
    dog_e = {t: box_mask('mixed', (10, 18), (18, 27)) for t in range(5)}
    cat_g = {t: box_mask('unpredicted', (3, 12), (4, 15)) for t in (0, 1)}
    tracks = [
        ('swap', 1, {t: person_a(t)
                     for t in range(6)}),
        ('swap', 1, {t: person_b(t)
                     for t in range(6)}),
        ('mixed', 3, dog_c),
        ('mixed', 5, cat_d),
        ('mixed', 3, dog_e),
        ('mixed', 5, {}),
        ('unpredicted', 5, cat_g),
    ]
    annotations = []
    for ann_id, (video, category_id, frames) in enumerate(tracks, 1):
        vid, length, height, width = VIDEOS[video]
        segmentations = track(video, frames, uncompressed_rle)
        areas = [
            float(frames[t].sum()) if t in frames else None
            for t in range(length)
        ]
        bboxes = [
            mask_utils.toBbox(mask_utils.encode(np.asfortranarray(
                frames[t]))).tolist() if t in frames else None
            for t in range(length)
        ]
        annotations.append(
            dict(
                id=ann_id,
                video_id=vid,
                category_id=category_id,
                iscrowd=0,
                height=height,
                width=width,
                length=length,
                segmentations=segmentations,
                areas=areas,
                bboxes=bboxes))
    return dict(
        info=dict(description='crafted identity-metric test'),
        videos=videos,
        annotations=annotations,
        categories=CATEGORIES)


def results() -> list:
    dog_c = {t: box_mask('mixed', (2, 8), (2, 10)) for t in range(5)}
    cat_d = {t: box_mask('mixed', (10, 17), (2, 9)) for t in (1, 2, 4)}
    dog_e = {t: box_mask('mixed', (10, 18), (18, 27)) for t in range(5)}
    person_fp = {t: box_mask('mixed', (0, 4), (20, 29)) for t in range(5)}
    dog_fp = {t: box_mask('mixed', (12, 16), (12, 16)) for t in (2, 3)}
    entries = [
        ('swap', 1, 0.9,
         {t: (person_a(t, 1) if t < 3 else person_b(t, 1))
          for t in range(6)}),
        ('swap', 1, 0.85,
         {t: (person_b(t, 1) if t < 3 else person_a(t, 1))
          for t in range(6)}),
        ('mixed', 3, 0.8, dog_c),
        ('mixed', 5, 0.7, cat_d),
        ('mixed', 1, 0.35, person_fp),
        ('mixed', 5, 0.4, dog_c),
        ('mixed', 3, 0.2, dog_e),
        ('mixed', 3, 0.1, dog_fp),
        ('empty', 1, 0.95,
         {t: box_mask('empty', (2, 9), (3, 12))
          for t in range(4)}),
        ('empty', 5, 0.3,
         {t: box_mask('empty', (8, 15), (8, 15))
          for t in (0, 1)}),
    ]
    return [
        dict(
            video_id=VIDEOS[video][0],
            category_id=category_id,
            score=score,
            segmentations=track(video, frames, compressed_rle))
        for video, category_id, score, frames in entries
    ]


def main() -> None:
    predictions = results()
    outputs = {
        'gt.json': ground_truth(),
        'results.json': predictions,
        'results_decided.json': [predictions[i] for i in DECIDED],
    }
    for name, content in outputs.items():
        with open(osp.join(HERE, name), 'w', encoding='utf-8') as f:
            json.dump(content, f, separators=(',', ':'))
            f.write('\n')


if __name__ == '__main__':
    main()
