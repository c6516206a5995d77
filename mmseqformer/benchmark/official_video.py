"""The official ``inference.py`` and our public API on one video, entry by
entry (``tools/analysis_tools/official/compare_video_with_official.py``).

The video is decoded by our reader and written as lossless PNGs plus a
one-video annotation file (the official input layout); in the official
environment a random official R50 is saved as an official checkpoint and
the unchanged official ``inference.py`` runs on the frames
(:func:`run_official_inference`); the checkpoint, converted, runs through
:func:`inference_vis`; the entries are paired in order and compared by
class, score and clip mask IoU on the official 360p input grid.
"""
import json
import os
import os.path as osp
import subprocess
from typing import List

import numpy as np

from .child_process import child_command


def run_official_inference(settings: dict) -> None:
    """In the official environment: build the official R50 of
    ``inference.py``'s defaults, give it random weights (seed ``seed``),
    save it to ``checkpoint`` and run the official ``inference.py`` on
    ``frames`` (``ann``), writing ``out``."""
    import torch

    from .official_code import (build_official_model, randomize_official_,
                                run_official_script, save_official_checkpoint)
    root, checkpoint = settings['official_root'], settings['checkpoint']
    # The official initialisation draws from the global generator: seeded,
    # the same seed gives the same model in every run.
    torch.manual_seed(settings['seed'])
    model, _, _ = build_official_model(root, script='inference.py')
    randomize_official_(model, seed=settings['seed'])
    save_official_checkpoint(model, checkpoint)
    run_official_script(root, 'inference.py', [
        '--masks', '--device', 'cpu', '--model_path', checkpoint, '--img_path',
        settings['frames'], '--ann_path', settings['ann'], '--save_path',
        settings['out']
    ])


def official_inference(python: str, **settings) -> None:
    """:func:`run_official_inference` in ``python`` (the official code's
    environment); raises ``CalledProcessError`` if it fails."""
    subprocess.run(
        child_command(
            python,
            'mmseqformer.benchmark.official_video:run_official_inference',
            settings,
            standalone=True),
        check=True)


def write_official_input(frames: List[np.ndarray], folder: str) -> str:
    """Frames as ``folder/video/00000.png``...; returns the annotation file
    (the ``videos`` list that ``inference.py`` reads)."""
    import cv2
    os.makedirs(osp.join(folder, 'video'), exist_ok=True)
    names = []
    for index, frame in enumerate(frames):
        names.append(f'video/{index:05d}.png')
        cv2.imwrite(osp.join(folder, names[-1]), frame)  # BGR -> RGB PNG
    ann = osp.join(folder, 'videos.json')
    height, width = frames[0].shape[:2]
    with open(ann, 'w') as file:
        json.dump(
            dict(videos=[
                dict(
                    id=1,
                    length=len(names),
                    file_names=names,
                    height=height,
                    width=width)
            ]), file)
    return ann


def clip_masks(entry: dict, size) -> np.ndarray:
    """(T, h, w) bool masks of one results entry on the (h, w) grid."""
    import cv2
    import pycocotools.mask as mask_util
    masks = []
    for rle in entry['segmentations']:
        mask = mask_util.decode(rle)
        masks.append(
            cv2.resize(
                mask, (size[1], size[0]),
                interpolation=cv2.INTER_NEAREST).astype(bool))
    return np.stack(masks)


def clip_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two (T, h, w) mask sequences, summed over the frames (1 when
    both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def official_grid(height: int, width: int, size: int = 360):
    """torchvision ``Resize(360)``'s output size: (h, w)."""
    if height <= width:
        return size, int(size * width / height)
    return int(size * height / width), size


def pair_entries(official: List[dict], ours: List[dict], grid,
                 score_atol: float, min_iou: float) -> tuple:
    """Pair the entries in order.

    Returns:
        tuple: Printable lines (one per pair: both classes and scores,
        score difference, clip IoU on ``grid``) and the failures (empty
        when every entry pairs by class, in the same order, with IoU >=
        ``min_iou`` and scores within ``score_atol``).
    """
    lines, failures = [], []
    if len(ours) != len(official):
        failures.append(f'{len(ours)} entries (ours) vs {len(official)}')
    for index, (theirs, mine) in enumerate(zip(official, ours)):
        diff = abs(theirs['score'] - mine['score'])
        iou = clip_iou(clip_masks(theirs, grid), clip_masks(mine, grid))
        lines.append(f'{index:>2} {theirs["category_id"]:>4} '
                     f'{theirs["score"]:.6f}  {mine["category_id"]:>4} '
                     f'{mine["score"]:.6f} {diff:>10.2e} {iou:>9.4f}')
        if theirs['category_id'] != mine['category_id']:
            failures.append(f'entry {index}: class')
        if diff > score_atol:
            failures.append(f'entry {index}: score')
        if iou < min_iou:
            failures.append(f'entry {index}: mask IoU')
    return lines, failures
