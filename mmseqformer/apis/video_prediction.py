"""Predicted instances of one video, with masks stored as COCO RLE.

Masks are encoded as they are made, so a prediction for a long video takes
a few bytes per instance and frame instead of H x W.

Shape legend: ``k`` instances, ``T`` frames, ``H, W`` the frame size.
"""
import json
import os.path as osp
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmengine.structures import InstanceData

from ..datasets.converters.instance_png import (compose_instance_id_map,
                                                instance_png_name,
                                                write_instance_png)
from ..utils.atomic_folder import atomic_output_folder

#: The index file of :meth:`VideoPrediction.write_instance_pngs`.
INSTANCES_FILE = 'instances.json'


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

        The layout is the official one
        (``docs/notes/official_behaviour.md`` §5).

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

    def instance_id_map(self,
                        frame: int,
                        score_thr: float = 0.0) -> np.ndarray:
        """One frame as an instance-id map (the content of its PNG).

        Instance ``i`` is written as ``instance_ids[i] + 1`` (0 is the
        background); instances scoring below ``score_thr`` are left out.
        Where masks overlap, the higher score is on top (the rule of
        :mod:`mmseqformer.datasets.converters.instance_png`).

        Args:
            frame (int): Frame index.
            score_thr (float): Lowest score written.

        Returns:
            np.ndarray: (H, W) int64 ids.
        """
        keep = self.scores >= score_thr
        return compose_instance_id_map(
            self.frame_masks(frame)[keep], self.instance_ids[keep] + 1,
            self.scores[keep])

    def instance_summary(
            self,
            score_thr: float = 0.0,
            category_ids: Optional[Sequence[int]] = None) -> Dict[str, Dict]:
        """What each PNG id of :meth:`write_instance_pngs` stands for.

        Args:
            score_thr (float): Lowest score written.
            category_ids (Sequence[int], optional): Dataset category id of
                each label; ``label + 1`` when None.

        Returns:
            dict: PNG id (text) -> ``instance_id``, ``label``,
            ``category_id``, ``class_name`` (None without class names),
            ``score`` and the ``first_frame`` / ``last_frame`` where its own
            mask is non-empty (None if it is empty everywhere).
        """
        if len(self.scores):
            # (T, k) mask areas from the RLEs, without decoding.
            areas = np.array([mask_util.area(frame) for frame in self.masks])
        else:
            areas = np.zeros((len(self.masks), 0))
        summary = {}
        for index in np.flatnonzero(self.scores >= score_thr):
            label = int(self.labels[index])
            present = np.flatnonzero(areas[:, index] > 0)
            summary[str(int(self.instance_ids[index]) + 1)] = dict(
                instance_id=int(self.instance_ids[index]),
                label=label,
                category_id=int(category_ids[label]
                                if category_ids is not None else label + 1),
                class_name=None
                if self.class_names is None else self.class_names[label],
                score=float(self.scores[index]),
                first_frame=int(present[0]) if len(present) else None,
                last_frame=int(present[-1]) if len(present) else None)
        return summary

    def write_instance_pngs(
            self,
            out_dir: str,
            score_thr: float = 0.0,
            category_ids: Optional[Sequence[int]] = None) -> Dict:
        """Write one instance-id PNG per frame and an ``instances.json``.

        ``out_dir/00000.png`` ... (frame index, 5 digits): pixel value =
        instance id + 1, 0 = background, higher score on top where masks
        overlap (:meth:`instance_id_map`); 8-bit palette PNGs, 16-bit when
        an id exceeds 255. ``out_dir/instances.json`` holds
        ``num_frames``, ``frame_size`` (H, W), ``score_thr`` and
        ``instances`` (:meth:`instance_summary`). The folder appears only
        when complete; an existing one is replaced if it is empty or an
        earlier output (it holds an ``instances.json``), else refused.

        Args:
            out_dir (str): The output folder.
            score_thr (float): Lowest score written.
            category_ids (Sequence[int], optional): Dataset category id of
                each label; ``label + 1`` when None.

        Returns:
            dict: The content of ``instances.json``.
        """
        index = dict(
            num_frames=self.num_frames,
            frame_size=[int(size) for size in self.frame_size],
            score_thr=float(score_thr),
            instances=self.instance_summary(score_thr, category_ids))
        max_id = max((int(key) for key in index['instances']), default=0)
        with atomic_output_folder(out_dir, INSTANCES_FILE) as tmp_dir:
            for frame in range(self.num_frames):
                write_instance_png(
                    osp.join(tmp_dir, instance_png_name(frame)),
                    self.instance_id_map(frame, score_thr),
                    max_id=max_id)
            with open(osp.join(tmp_dir, INSTANCES_FILE), 'w') as f:
                json.dump(index, f, indent=1)
        return index


class VideoCollector:
    """Builds a :class:`VideoPrediction` from the frames of one video,
    given in order with their instances' ids (any inference mode).

    An id's video-level entry (one line of a YouTube-VIS results file) has
    its masks in the frames where it was output and empty masks elsewhere;
    its score is the mean of its per-frame scores over those frames, and
    its class the one with the largest sum of per-frame scores. In the
    offline mode an id is one (query, class) pair whose score and class
    are the same in every frame, so the entry is that pair's.

    Args:
        dense_ids (bool): Number the entries 0..n-1 in the order of their
            ids (the offline mode, whose pairs without any mask leave gaps);
            else the ids stay as the frames give them (tracks).
    """

    def __init__(self, dense_ids: bool = False) -> None:
        self.dense_ids = dense_ids
        self.frames: List[Dict[int, tuple]] = []  # id -> (rle, box)
        self.frame_size: Optional[Tuple[int, int]] = None
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
        """The prediction of the frames added so far, one entry per id in
        the order of the ids.

        Args:
            class_names (Sequence[str], optional): Names of the labels.
            announced_frames (int, optional): The video file's announced
                frame count; kept only when it differs from the frames
                added.
        """
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
            instance_ids=np.arange(len(tracks))
            if self.dense_ids else np.array(tracks, dtype=np.int64),
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
