"""Builds a whole-video :class:`VideoPrediction` from per-frame instances
with track ids (the online, window and clip modes).

A track's video-level entry (one line of a YouTube-VIS results file) has
its masks in the frames where it was output and empty masks elsewhere; its
score is the mean of its per-frame scores over those frames, and its class
the one with the largest sum of per-frame scores.

Shape legend: ``k`` instances of a frame, ``H, W`` the frame size.
"""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.structures import InstanceData

from .video_prediction import VideoPrediction, encode_masks


class TrackCollector:
    """Collects the frames of one video in order."""

    def __init__(self) -> None:
        self.frames: List[Dict[int, tuple]] = []  # id -> (rle, box)
        self.frame_size = None
        self.score_sums: Dict[int, float] = defaultdict(float)
        self.frame_counts: Dict[int, int] = defaultdict(int)
        # id -> label -> summed score
        self.label_scores: Dict[int, Dict[int, float]] = defaultdict(
            lambda: defaultdict(float))

    def add(self, instances: InstanceData) -> None:
        """Add the next frame's instances (``masks`` (k, H, W) bool,
        ``bboxes``, ``labels``, ``scores``, ``instances_id``)."""
        masks = instances.masks.cpu().numpy()
        self.frame_size = tuple(masks.shape[-2:])
        rles = encode_masks(masks) if len(masks) else []
        boxes = instances.bboxes.float().cpu().numpy()
        frame = {}
        for index, track in enumerate(instances.instances_id.tolist()):
            score = float(instances.scores[index])
            frame[track] = (rles[index], boxes[index])
            self.score_sums[track] += score
            self.frame_counts[track] += 1
            self.label_scores[track][int(instances.labels[index])] += score
        self.frames.append(frame)

    def finish(self,
               class_names: Optional[Sequence[str]] = None,
               announced_frames: Optional[int] = None) -> VideoPrediction:
        """The prediction of the frames added so far, one entry per track
        in the order of the tracks' ids."""
        if not self.frames:
            raise ValueError('the video has no frames')
        if announced_frames == len(self.frames):
            announced_frames = None
        tracks = sorted(self.frame_counts)
        empty = encode_masks(np.zeros((1, *self.frame_size), dtype=bool))[0]
        no_box = np.zeros(4, dtype=np.float32)
        return VideoPrediction(
            scores=np.array(
                [self.score_sums[t] / self.frame_counts[t] for t in tracks],
                dtype=np.float32),
            labels=np.array([
                max(self.label_scores[t].items(), key=lambda x: x[1])[0]
                for t in tracks
            ],
                            dtype=np.int64),
            instance_ids=np.array(tracks, dtype=np.int64),
            masks=[[frame.get(t, (empty, ))[0] for t in tracks]
                   for frame in self.frames],
            bboxes=[
                np.array([frame.get(t, (None, no_box))[1] for t in tracks],
                         dtype=np.float32).reshape(-1, 4)
                for frame in self.frames
            ],
            frame_size=self.frame_size,
            class_names=class_names,
            announced_frames=announced_frames)
