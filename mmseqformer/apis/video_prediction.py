"""Predicted instances of one video, with masks stored as COCO RLE.

Masks are encoded as they are made, so a prediction for a long video takes
a few bytes per instance and frame instead of H x W.

Shape legend: ``k`` instances, ``T`` frames, ``H, W`` the frame size.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData
from torch import Tensor


def encode_masks(masks: np.ndarray) -> List[Dict]:
    """COCO RLEs of (k, H, W) binary masks, ``counts`` as text (as the
    official results.json)."""
    rles = mask_util.encode(
        np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    for rle in rles:
        rle['counts'] = rle['counts'].decode('utf-8')
    return rles


@dataclass
class VideoPrediction:
    """Instances of one video.

    Attributes:
        scores (np.ndarray): (k, ) probabilities.
        labels (np.ndarray): (k, ) 0-based class indices.
        instance_ids (np.ndarray): (k, ) ids, the same in every frame.
        masks (list[list[dict]]): per frame, k RLEs.
        bboxes (list[np.ndarray]): per frame, (k, 4) mask boxes (x1, y1, x2,
            y2), zeros where an instance is absent.
        frame_size (tuple[int, int]): (H, W).
        class_names (Sequence[str], optional): names of the labels.
        announced_frames (int, optional): The frame count the video file
            announced, when it was not the number of frames that decoded
            (``num_frames``); None otherwise.
    """
    scores: np.ndarray
    labels: np.ndarray
    instance_ids: np.ndarray
    masks: List[List[Dict]]
    bboxes: List[np.ndarray]
    frame_size: Tuple[int, int]
    class_names: Optional[Sequence[str]] = None
    announced_frames: Optional[int] = None

    def __len__(self) -> int:
        return len(self.masks)

    @property
    def num_frames(self) -> int:
        """Frames predicted: those that decoded."""
        return len(self.masks)

    @property
    def is_truncated(self) -> bool:
        """Whether fewer frames decoded than the video file announced."""
        return self.announced_frames is not None and \
            self.num_frames < self.announced_frames

    def frame_masks(self, frame: int) -> np.ndarray:
        """(k, H, W) bool masks of one frame."""
        if not len(self.scores):
            return np.zeros((0, *self.frame_size), dtype=bool)
        return mask_util.decode(self.masks[frame]).transpose(2, 0,
                                                             1).astype(bool)

    def frame_instances(self, frame: int) -> InstanceData:
        """One frame as ``pred_track_instances`` (for mmdet's visualiser)."""
        return InstanceData(
            masks=torch.from_numpy(self.frame_masks(frame)),
            bboxes=torch.from_numpy(self.bboxes[frame]).float(),
            labels=torch.from_numpy(self.labels),
            scores=torch.from_numpy(self.scores),
            instances_id=torch.from_numpy(self.instance_ids))

    def to_ytvis(self,
                 video_id: int,
                 category_ids: Optional[Sequence[int]] = None) -> List[Dict]:
        """Entries of a YouTube-VIS results file.

        The layout is the official one (``docs/official_behaviour.md`` §5).

        Args:
            video_id (int): The video's id.
            category_ids (Sequence[int], optional): Dataset category id of
                each label; ``label + 1`` when None (YouTube-VIS ids).
        """
        return [
            dict(
                video_id=video_id,
                score=float(score),
                category_id=int(category_ids[label]
                                if category_ids is not None else label + 1),
                segmentations=[frame[index] for frame in self.masks])
            for index, (score,
                        label) in enumerate(zip(self.scores, self.labels))
        ]


@dataclass
class PredictionCollector:
    """Builds a :class:`VideoPrediction` from masks that arrive in chunks.

    Pairs whose mask is empty in every frame, or whose score is below
    ``score_thr``, are dropped at the end (official), and the others are
    numbered 0..k-1.

    Args:
        scores (Tensor): (k, ) scores of the selected pairs.
        labels (Tensor): (k, ) their labels.
        score_thr (float): Lowest score kept.
    """
    scores: Tensor
    labels: Tensor
    score_thr: float = 0.0
    masks: List[List[Dict]] = field(default_factory=list)
    bboxes: List[np.ndarray] = field(default_factory=list)
    frame_size: Optional[Tuple[int, int]] = None
    has_mask: Optional[np.ndarray] = None

    def add(self, masks: Tensor) -> None:
        """Add (k, t, H, W) bool masks of the next t frames."""
        masks = masks.cpu()
        if self.has_mask is None:
            self.has_mask = np.zeros(len(masks), dtype=bool)
            self.frame_size = tuple(masks.shape[-2:])
        self.has_mask |= masks.flatten(1).any(1).numpy()
        for frame in range(masks.shape[1]):
            frame_masks = masks[:, frame]
            self.masks.append(encode_masks(frame_masks.numpy()))
            self.bboxes.append(mask2bbox(frame_masks).numpy())

    def finish(self,
               class_names: Optional[Sequence[str]] = None,
               announced_frames: Optional[int] = None) -> VideoPrediction:
        """The prediction of the frames added so far.

        Args:
            class_names (Sequence[str], optional): Names of the labels.
            announced_frames (int, optional): The video file's announced
                frame count; kept only when it differs from the frames
                added.
        """
        if announced_frames == len(self.masks):
            announced_frames = None
        keep = self.has_mask & (self.scores.cpu().numpy() >= self.score_thr)
        kept = np.flatnonzero(keep)
        return VideoPrediction(
            scores=self.scores.cpu().numpy()[kept],
            labels=self.labels.cpu().numpy()[kept],
            instance_ids=np.arange(len(kept)),
            masks=[[frame[i] for i in kept] for frame in self.masks],
            bboxes=[boxes[kept] for boxes in self.bboxes],
            frame_size=self.frame_size,
            class_names=class_names,
            announced_frames=announced_frames)
