"""Synthetic training clips, for benchmarks and tests of training steps.

Each clip holds noise frames (already normalised, as the data preprocessor
gives them) and instances that are ellipses drifting across the frames,
with the per-frame ground truth the data pipeline gives: labels, instance
ids, pixel boxes (x1, y1, x2, y2, the mask's tight box) and masks. The clip
layout (``frames`` (T, 3, H, W) and ``gt``, a list of per-frame dicts) is
the one of ``tools/analysis_tools/official/make_official_fixtures.py``, whose
``official_targets`` turns it into the official code's targets.
"""
from typing import List, Sequence, Tuple

import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.testing import demo_track_inputs
from mmengine.structures import InstanceData
from torch import Tensor


def make_training_clips(num_clips: int,
                        num_frames: int,
                        height: int,
                        width: int,
                        num_instances: int = 3,
                        num_classes: int = 40,
                        seed: int = 0) -> List[dict]:
    """Clips of ``num_frames`` frames of ``height`` x ``width``.

    Every instance is present in every frame; its centre moves by up to a
    fifth of the frame over the clip, its radii are 10-25% of the frame.

    Args:
        num_clips (int): Clips (the batch size).
        num_frames (int): T, frames per clip.
        height (int): H of every frame.
        width (int): W of every frame.
        num_instances (int): Instances per clip.
        num_classes (int): Labels are drawn from ``range(num_classes)``.
        seed (int): Seed of a private generator (the global random state
            is left alone).

    Returns:
        list[dict]: Per clip, ``frames`` (T, 3, H, W) float32 and ``gt``:
        T dicts of ``labels`` (n, ) long, ``instances_ids`` (n, ) long,
        ``bboxes`` (n, 4) float32 and ``masks`` (n, H, W) uint8.
    """
    generator = torch.Generator().manual_seed(seed)
    ys = torch.arange(height, dtype=torch.float32)[:, None] + 0.5
    xs = torch.arange(width, dtype=torch.float32)[None] + 0.5
    progress = torch.linspace(0, 1, num_frames)
    clips = []
    for _ in range(num_clips):
        frames = torch.randn((num_frames, 3, height, width),
                             generator=generator)
        labels = torch.randint(
            num_classes, (num_instances, ), generator=generator)
        # Per instance: start centre, drift, radii (fractions of the size).
        start = 0.3 + 0.4 * torch.rand((num_instances, 2), generator=generator)
        drift = 0.2 * torch.rand((num_instances, 2), generator=generator) - 0.1
        radii = 0.1 + 0.15 * torch.rand(
            (num_instances, 2), generator=generator)
        gt = []
        for t in range(num_frames):
            centre = start + drift * progress[t]
            masks = torch.stack([
                ellipse_mask(ys, xs, centre[i, 1] * height,
                             centre[i, 0] * width, radii[i, 1] * height,
                             radii[i, 0] * width) for i in range(num_instances)
            ])
            gt.append(
                dict(
                    labels=labels.clone(),
                    instances_ids=torch.arange(num_instances),
                    bboxes=mask_boxes(masks),
                    masks=masks.to(torch.uint8)))
        clips.append(dict(frames=frames, gt=gt))
    return clips


def ellipse_mask(ys: Tensor, xs: Tensor, cy: float, cx: float, ry: float,
                 rx: float) -> Tensor:
    """(H, W) bool: pixel centres ``ys`` (H, 1), ``xs`` (1, W) inside the
    axis-aligned ellipse."""
    return ((ys - cy) / ry)**2 + ((xs - cx) / rx)**2 <= 1


def mask_boxes(masks: Tensor) -> Tensor:
    """(n, 4) tight pixel boxes (x1, y1, x2, y2; x2, y2 one past the last
    pixel) of (n, H, W) non-empty masks."""
    boxes = []
    for mask in masks:
        rows = mask.any(1).nonzero()[:, 0]
        cols = mask.any(0).nonzero()[:, 0]
        boxes.append([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])
    return torch.tensor(boxes, dtype=torch.float32).view(-1, 4)


def padded_shape(clips: List[dict], size_divisor: int = 32) -> Tuple[int, int]:
    """(H, W) of the batch: the largest frame, rounded up to
    ``size_divisor`` (``SeqFormerDataPreprocessor`` pads training clips to
    32)."""
    height = max(clip['frames'].shape[-2] for clip in clips)
    width = max(clip['frames'].shape[-1] for clip in clips)
    return (-(-height // size_divisor) * size_divisor,
            -(-width // size_divisor) * size_divisor)


def training_batch(clips: List[dict],
                   size_divisor: int = 32,
                   device: str = 'cpu') -> Tuple[Tensor, list]:
    """What the data preprocessor gives the model for a training step.

    Args:
        clips (list[dict]): From :func:`make_training_clips`.
        size_divisor (int): Padding of the batch shape.
        device (str): Where the inputs and ground truth go.

    Returns:
        tuple: (bs, T, 3, H_pad, W_pad) inputs, padded with zeros at the
        bottom and right, and bs ``TrackDataSample``s whose frames carry
        ``gt_instances`` (masks padded to the batch shape) and the metainfo
        the model reads.
    """
    batch_shape = padded_shape(clips, size_divisor)
    num_frames = clips[0]['frames'].shape[0]
    inputs = torch.zeros((len(clips), num_frames, 3, *batch_shape))
    samples = []
    for index, clip in enumerate(clips):
        height, width = clip['frames'].shape[-2:]
        inputs[index, ..., :height, :width] = clip['frames']
        frames = []
        for t, gt in enumerate(clip['gt']):
            frame = DetDataSample()
            frame.set_metainfo(
                dict(
                    img_shape=(height, width),
                    ori_shape=(height, width),
                    batch_input_shape=batch_shape,
                    pad_shape=batch_shape,
                    frame_id=t))
            masks = gt['masks'].new_zeros((len(gt['masks']), *batch_shape))
            masks[:, :height, :width] = gt['masks']
            frame.gt_instances = InstanceData(
                bboxes=gt['bboxes'],
                labels=gt['labels'],
                instances_ids=gt['instances_ids'],
                masks=masks).to(device)
            frames.append(frame)
        sample = TrackDataSample()
        sample.video_data_samples = frames
        samples.append(sample)
    return inputs.to(device), samples


def demo_track_batch(model,
                     num_frames: int = 3,
                     shapes: Sequence[Tuple[int, int,
                                            int]] = ((3, 64, 96), (3, 80, 64)),
                     seed: int = 0,
                     training: bool = True) -> dict:
    """A batch of ``len(shapes)`` random clips with masks from mmdet's
    ``demo_track_inputs`` (3 classes), through ``model``'s data
    preprocessor: ``inputs`` (bs, T, 3, H, W) and ``data_samples``.

    Args:
        model: The model (its data preprocessor pads and normalises).
        num_frames (int): T, frames per clip.
        shapes (Sequence[tuple]): (3, H, W) of each clip.
        seed (int): Seed of the global generator (mmdet draws from it).
        training (bool): The preprocessor's training mode (padding).
    """
    torch.manual_seed(seed)
    packed = demo_track_inputs(
        batch_size=len(shapes),
        num_frames=num_frames,
        key_frames_inds=[0],
        image_shapes=list(shapes),
        num_classes=3,
        with_mask=True)
    return model.data_preprocessor(packed, training)
