"""Online, sliding-window and clip-by-clip SeqFormer: answers while the
video plays, from the same engine as whole-video inference.

Each frame goes through backbone, encoder and the box path once
(:meth:`SeqFormerEngine.run_frames`); the modes differ in the frames whose
features build the instance queries and in when a frame is decided:

- :class:`OnlineInference` (latency 0): after frame t, the instance path on
  the running aggregation of frames 0..t (a state of num_layers x Q x C
  whatever the video's length); frame t's masks for the selected queries.
  An instance's id is its query. After the last frame the instance queries
  are those of whole-video inference.
- :class:`WindowInference` (latency 0): exact SeqFormer over the last W
  frames (their instance-path features and frame logits are kept, not
  their mask features); ids linked from frame to frame.
- :class:`ClipInference` (latency k - 1): SeqFormer over clips of k frames
  that overlap by o frames (the shared frames are not encoded again); ids
  linked from frame to frame, helped by the clip's masks in the frame
  before.

The window and clip modes link alike (:class:`LinkedInference`): each
decided frame is a step of :class:`TrackLinker` on each shown instance's
query, its features in the frame and its appearance there: one matching
continues the tracks of the frame before and re-identifies lost ones from
a memory of them, helped by which query drew them.

Per-frame selection (all three): each query's best class and its
probability; of the ``max_per_frame`` best queries with a probability of at
least ``score_thr`` and a non-empty mask, duplicates (a mask overlapping a
kept one by IoU above ``duplicate_iou``) are set apart, the queries shown
at the previous step kept first (then by score): a trained SeqFormer often
has two queries on one object with close scores, and without this
preference the object would hop between them. The rest are the frame's
instances, with their probability as score.

What becomes of a duplicate depends on the mode. The linked modes drop it:
it would start or take over a track in the linker. The online mode
(``soft_duplicates``) keeps it with its score multiplied by ``1 - IoU``
(Soft-NMS's linear rule, Bodla et al., ICCV 2017): there an id is a query,
so the duplicate is a track of its own that never takes the object's id,
and its low score ranks it below the object's track. A hard drop cut the
duplicate query's track into pieces wherever it was dropped, and cost the
online mode a quarter of its AP on long videos
(``docs/notes/causal_modes.md``); a decayed duplicate mostly scores below
the demo's display threshold and the identity metrics' 0.3.

Shape legend: ``Q`` queries, ``K`` classes, ``n`` selected queries, ``t``
frames, ``H, W`` the frame size.
"""
from collections import deque
from typing import List, Optional, Tuple

import torch
from mmdet.structures import TrackDataSample
from torch import Tensor

from .track_linker import (LINK_DEFAULTS, TrackLinker, mask_pooled_appearance,
                           track_descriptors)
from .video_engine import FrameRecord
from .video_inference import FrameOutput, VideoInference, register_mode
from .video_postprocess import frame_instances, select_per_frame


class CausalInference(VideoInference):
    """The shared part of the online, window and clip modes.

    Args:
        model: The model (see :class:`VideoInference`), with query
            decomposition.
        num_frames (int, optional): The video's length (unused: these
            modes decide frames without it).
        max_per_frame (int): Most instances per frame.
        score_thr (float): Lowest class probability of an instance.
        duplicate_iou (float): Mask IoU above which the lower-priority
            instance is a duplicate; 1 keeps all.
        soft_duplicates (bool): Keep duplicates with their score times
            ``1 - IoU`` (the highest IoU with a kept instance) instead of
            dropping them.
        amp (bool): The network under autocast (:class:`SeqFormerEngine`).
    """

    def __init__(self,
                 model,
                 num_frames: Optional[int] = None,
                 max_per_frame: int = 10,
                 score_thr: float = 0.05,
                 duplicate_iou: float = 0.3,
                 soft_duplicates: bool = False,
                 amp: bool = False) -> None:
        super().__init__(model, num_frames, amp)
        self.engine.check_decomposed()
        self.max_per_frame = max_per_frame
        self.score_thr = score_thr
        self.duplicate_iou = duplicate_iou
        self.soft_duplicates = soft_duplicates
        self.shown_queries: set = set()  # queries shown at the last step

    def push(self, inputs: Tensor,
             data_sample: TrackDataSample) -> List[FrameOutput]:
        record = self.engine.run_frames(inputs, data_sample)
        outputs = []
        for index in range(len(record)):
            outputs += self._add_frame(record.frames(index, index + 1))
        return outputs

    def _add_frame(self, frame: FrameRecord) -> List[FrameOutput]:
        raise NotImplementedError

    def _select(self, cls_scores: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        return select_per_frame(cls_scores, self.max_per_frame, self.score_thr)

    def _shown(self, masks: Tensor, queries: Tensor,
               scores: Tensor) -> Tuple[Tensor, Tensor]:
        """Which selected queries are shown, and their scores: non-empty
        masks; duplicates dropped, or kept at a decayed score with
        ``soft_duplicates`` (see the module's docstring). Remembers the
        queries shown that are not duplicates, the next step's incumbents.

        Args:
            masks (Tensor): (n, ...) bool masks, best score first.
            queries (Tensor): (n, ) their queries.
            scores (Tensor): (n, ) their scores.

        Returns:
            tuple[Tensor, Tensor]: (n, ) bool, shown; (n, ) scores, those
            of kept duplicates decayed.
        """
        shown = masks.flatten(1).any(1)
        scores = scores.clone()
        incumbent = [int(q) in self.shown_queries for q in queries.tolist()]
        # Incumbents first, each group best score first (stable sort).
        order = sorted(range(len(queries)), key=lambda i: not incumbent[i])
        kept = [index for index in order if shown[index]]
        if self.duplicate_iou < 1 and len(queries) > 1:
            iou = mask_iou(masks, masks)
            candidates, kept = kept, []
            for index in candidates:
                # (A float32 tensor against the threshold: an IoU that rounds
                # to the threshold is no duplicate.)
                overlap = iou[index, kept].max() if kept else iou.new_zeros(())
                if overlap <= self.duplicate_iou:
                    kept.append(index)
                elif self.soft_duplicates:
                    scores[index] *= 1 - overlap
                else:
                    shown[index] = False
        self.shown_queries = {int(queries[index]) for index in kept}
        return shown, scores


@register_mode('online')
class OnlineInference(CausalInference):
    """Prefix-causal SeqFormer: frame t from frames 0..t (latency 0).

    Args:
        model: The model (see :class:`VideoInference`).
        soft_duplicates (bool): Keep duplicates at a decayed score (True
            here; see the module's docstring).
        **kwargs: ``num_frames``, ``max_per_frame``, ``score_thr``,
            ``duplicate_iou``, ``amp``.
    """

    def __init__(self, model, soft_duplicates: bool = True, **kwargs) -> None:
        super().__init__(model, soft_duplicates=soft_duplicates, **kwargs)
        self.aggregations = self.engine.new_aggregations()
        self.cls_scores: Optional[Tensor] = None  # (Q, K), last frame
        self.inst_queries: Optional[Tensor] = None  # (Q, C), last frame

    @torch.no_grad()
    def _add_frame(self, frame: FrameRecord) -> List[FrameOutput]:
        engine = self.engine
        engine.aggregate(self.aggregations, frame)
        self.cls_scores, self.inst_queries = engine.instance_queries(
            self.aggregations)
        scores, labels, queries = self._select(self.cls_scores)
        masks = engine.masks(frame, self.inst_queries, queries)[:, 0]
        shown, scores = self._shown(masks, queries, scores)
        return [(frame.first_frame,
                 frame_instances(masks[shown], scores[shown], labels[shown],
                                 queries[shown]))]


class LinkedInference(CausalInference):
    """The shared part of the window and clip modes: ids from a
    :class:`TrackLinker`, each decided frame one step of it, its shown
    instances compared by their descriptors (their instance query, their
    query's features in the frame and their appearance there); a lost
    track is also recognised by the query that used to draw it.

    Args:
        model: The model (see :class:`VideoInference`).
        similarity_thr (float): Lowest affinity that continues a track.
        reid_thr (float): Lowest similarity with a lost track's memory
            that re-identifies it.
        max_tracks (int): Most tracks remembered.
        max_lost (int, optional): Frames a track may go unseen; None: as
            long as it is remembered.
        appearance_weight (float): The appearance's share of the
            similarity (:func:`track_descriptors`); 0 links by the query
            and its features alone.
        query_weight (float): The share of the similarity with a lost
            track that is the fraction of the track's steps drawn by the
            instance's query (:meth:`TrackLinker.reid_similarity`); 0
            ignores which query drew an instance.
        **kwargs: ``num_frames``, ``max_per_frame``, ``score_thr``,
            ``duplicate_iou``, ``soft_duplicates`` (False: a duplicate
            would take over tracks), ``amp``.
    """

    def __init__(self,
                 model,
                 similarity_thr: float = LINK_DEFAULTS['similarity_thr'],
                 reid_thr: float = LINK_DEFAULTS['reid_thr'],
                 max_tracks: int = LINK_DEFAULTS['max_tracks'],
                 max_lost: Optional[int] = LINK_DEFAULTS['max_lost'],
                 appearance_weight: float = LINK_DEFAULTS['appearance_weight'],
                 query_weight: float = LINK_DEFAULTS['query_weight'],
                 **kwargs) -> None:
        super().__init__(model, **kwargs)
        if not 0 <= appearance_weight <= 1:
            raise ValueError('appearance_weight must be in [0, 1], got '
                             f'{appearance_weight}')
        self.appearance_weight = appearance_weight
        self.linker = TrackLinker(similarity_thr, reid_thr, max_tracks,
                                  max_lost, query_weight)

    def _descriptors(self, inst_queries: Tensor, record: FrameRecord,
                     queries: Tensor, mask_logits: Tensor) -> Tensor:
        """(n, 2C + C_a) what the linker compares for ``queries`` in the
        step's frame (:func:`track_descriptors`): their instance queries,
        their last layer's features in the frame and their appearance
        there, the encoder's map pooled under their mask
        (:func:`mask_pooled_appearance`).

        Args:
            inst_queries (Tensor): (Q, C) the instance queries.
            record (FrameRecord): The step's frame, with its
                ``appearance_feats`` (unused at ``appearance_weight`` 0).
            queries (Tensor): (n, ) the instances' queries.
            mask_logits (Tensor): (n, H/4, W/4) their mask logits in the
                frame.
        """
        appearance = None
        if self.appearance_weight:
            appearance = mask_pooled_appearance(record.appearance_feats[-1],
                                                mask_logits)
        return track_descriptors(inst_queries[queries],
                                 record.inst_feats[-1][:, queries], appearance,
                                 self.appearance_weight)


@register_mode('window')
class WindowInference(LinkedInference):
    """SeqFormer over the last ``window`` frames, ids linked between
    frames (latency 0).

    Args:
        model: The model (see :class:`VideoInference`).
        window (int): W, frames that build the instance queries.
        **kwargs: The linking options of :class:`LinkedInference`
            (``similarity_thr``, ``reid_thr``, ``max_tracks``,
            ``max_lost``, ``appearance_weight``, ``query_weight``), then
            ``num_frames``, ``max_per_frame``, ``score_thr``,
            ``duplicate_iou``, ``soft_duplicates``, ``amp``.
    """

    def __init__(self, model, window: int = 8, **kwargs) -> None:
        super().__init__(model, **kwargs)
        if window < 1:
            raise ValueError(f'window must be >= 1, got {window}')
        # Instance-path inputs of the last W frames (no mask features).
        self.frames = deque(maxlen=window)

    @torch.no_grad()
    def _add_frame(self, frame: FrameRecord) -> List[FrameOutput]:
        engine = self.engine
        self.frames.append(
            FrameRecord(frame.first_frame, frame.inst_feats,
                        frame.frame_logits, frame.references, None, None))
        aggregations = engine.aggregate(engine.new_aggregations(),
                                        FrameRecord.cat(list(self.frames)))
        cls_scores, inst_queries = engine.instance_queries(aggregations)
        scores, labels, queries = self._select(cls_scores)
        logits = engine.mask_logits(frame, inst_queries, queries)[:, 0]
        masks = engine.logits_to_masks(logits[:, None])[:, 0]
        # Only the instances shown continue or start tracks.
        shown, scores = self._shown(masks, queries, scores)
        ids = self.linker.link(
            self._descriptors(inst_queries, frame, queries[shown],
                              logits[shown]),
            frame.first_frame,
            queries=queries[shown].tolist())
        return [(frame.first_frame,
                 frame_instances(masks[shown], scores[shown], labels[shown],
                                 ids))]


@register_mode('clips')
class ClipInference(LinkedInference):
    """SeqFormer on clips of ``clip_length`` frames overlapping by
    ``overlap`` frames, linked into tracks (latency ``clip_length - 1``).

    Every frame goes through the encoder and the box path once; the
    frames a clip shares with the next are kept with their mask features
    and decided by the first clip. Each new frame of a clip is one step
    of the linker (:class:`LinkedInference`). The clip also has its
    queries' masks in the frame before (its own, or the one it shares
    with the last clip): an active track's similarity is raised to its
    mean with the IoU between the instance's mask there and the mask the
    track was given there, where that mean is higher. So a query that
    takes an object over inside a clip (its duplicate until then)
    continues the object's track even where the two queries' descriptors
    differ, and a query whose mask was empty in the frame before keeps
    its similarity. Linking whole clips one to one split such objects in
    two (docs/notes/causal_modes.md).

    Args:
        model: The model (see :class:`VideoInference`).
        clip_length (int): k, frames per clip.
        overlap (int): o, frames shared by consecutive clips (< k).
        **kwargs: The linking options of :class:`LinkedInference`
            (``similarity_thr``, ``reid_thr``, ``max_tracks``,
            ``max_lost``, ``appearance_weight``, ``query_weight``), then
            ``num_frames``, ``max_per_frame``, ``score_thr``,
            ``duplicate_iou``, ``soft_duplicates``, ``amp``.
    """

    def __init__(self,
                 model,
                 clip_length: int = 5,
                 overlap: int = 1,
                 **kwargs) -> None:
        super().__init__(model, **kwargs)
        if clip_length < 1 or not 0 <= overlap < clip_length:
            raise ValueError('need clip_length >= 1 and 0 <= overlap < '
                             f'clip_length, got {clip_length} and {overlap}')
        self.clip_length, self.overlap = clip_length, overlap
        self.latency = clip_length - 1
        self.buffer: List[FrameRecord] = []
        self.decided = 0  # frames before this one are decided
        # Masks of the tracks shown in the last decided frame: (H, W).
        self.previous_masks: dict = {}

    def frames_wanted(self) -> int:
        return self.clip_length - sum(len(r) for r in self.buffer)

    def push(self, inputs: Tensor,
             data_sample: TrackDataSample) -> List[FrameOutput]:
        self.buffer.append(self.engine.run_frames(inputs, data_sample))
        if self.frames_wanted() > 0:
            return []
        return self._decide()

    def flush(self) -> List[FrameOutput]:
        if self.buffer and self.engine.num_frames > self.decided:
            return self._decide()
        return []

    @torch.no_grad()
    def _decide(self) -> List[FrameOutput]:
        """Decide the clip in the buffer, frame by frame; keep its last
        ``overlap`` frames for the next clip."""
        engine = self.engine
        clip = FrameRecord.cat(self.buffer)
        aggregations = engine.aggregate(engine.new_aggregations(), clip)
        cls_scores, inst_queries = engine.instance_queries(aggregations)
        scores, labels, queries = self._select(cls_scores)
        logits = engine.mask_logits(clip, inst_queries, queries)
        masks = engine.logits_to_masks(logits)  # (n, t, H, W)
        outputs = [
            self._decide_frame(clip, t, inst_queries, queries, logits, masks,
                               scores, labels)
            for t in range(self.decided - clip.first_frame, len(clip))
        ]
        self.decided = clip.first_frame + len(clip)
        keep = min(self.overlap, len(clip))
        self.buffer = [clip.frames(len(clip) -
                                   keep, len(clip))] if keep else []
        return outputs

    def _decide_frame(self, clip: FrameRecord, t: int, inst_queries: Tensor,
                      queries: Tensor, logits: Tensor, masks: Tensor,
                      scores: Tensor, labels: Tensor) -> FrameOutput:
        """Frame ``t`` of the clip, linked as one step.

        Args:
            clip (FrameRecord): The clip.
            t (int): The frame's index in the clip.
            inst_queries (Tensor): (Q, C) the clip's instance queries.
            queries (Tensor): (n, ) the selected queries.
            logits (Tensor): (n, t, H/4, W/4) their mask logits.
            masks (Tensor): (n, t, H, W) their bool masks in the clip.
            scores (Tensor): (n, ) their scores.
            labels (Tensor): (n, ) their labels.
        """
        frame_index = clip.first_frame + t
        shown, scores = self._shown(masks[:, t], queries, scores)
        masks = masks[shown]
        # The frame before, if in the clip, is decided (by this clip or
        # the last one).
        iou = self._previous_iou(masks[:, t - 1], frame_index) if t else None
        ids = self.linker.link(
            self._descriptors(inst_queries, clip.frames(t, t + 1),
                              queries[shown], logits[shown, t]), frame_index,
            iou, queries[shown].tolist())
        self.previous_masks = dict(zip(ids.tolist(), masks[:, t]))
        return (frame_index,
                frame_instances(masks[:, t], scores[shown], labels[shown],
                                ids))

    def _previous_iou(self, masks: Tensor, frame_index: int) -> Tensor:
        """(n, m) IoU between the instances' masks in the frame before
        ``frame_index`` and those the candidate tracks were given there
        (zero for tracks not shown there).

        Args:
            masks (Tensor): (n, H, W) bool, this clip's masks of the
                instances in the frame before.
            frame_index (int): The frame being decided.
        """
        candidates = self.linker.candidates(frame_index)
        iou = masks.new_zeros((len(masks), len(candidates)), dtype=torch.float)
        cols = [
            col for col, track in enumerate(candidates)
            if track in self.previous_masks
        ]
        if cols and len(masks):
            iou[:, cols] = mask_iou(
                masks,
                torch.stack(
                    [self.previous_masks[candidates[col]] for col in cols]))
        return iou


def mask_iou(masks: Tensor, others: Tensor) -> Tensor:
    """(n, m) IoU of bool masks (n, ...) with bool masks (m, ...) of the
    same size (0 where both are empty). Float32 pixel counts: exact up to
    2^24 pixels a mask."""
    flat, other = masks.flatten(1).float(), others.flatten(1).float()
    inter = flat @ other.T
    union = flat.sum(1)[:, None] + other.sum(1)[None] - inter
    return inter / union.clamp(min=1)
