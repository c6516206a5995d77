"""Link instances of consecutive windows or clips into tracks, with a
memory that recognises objects coming back.

Each step (a window position or a clip) gives instances with an embedding
(their instance query). :class:`TrackLinker` keeps, per track, its latest
embedding and a *memory*: the mean of its unit embeddings over its whole
life. Each step matches the instances one to one with all the remembered
tracks (Hungarian matching, the largest total similarity), each track by
its own rule:

- **Continuation** of an *active* track (one of the previous step): the
  cosine similarity of the instance with the track's latest embedding, or,
  where it is higher, its mean with another affinity the caller has (the
  clip mode's mask IoU in the frame before); a match needs
  ``similarity_thr``.
- **Re-identification** of a *lost* track (remembered, not in the previous
  step): the cosine similarity with the track's memory; a match needs
  ``reid_thr``. Where the caller says which query drew each instance, the
  similarity is ``(1 - query_weight)`` times that cosine plus
  ``query_weight`` times the fraction of the track's steps at which this
  query drew it (:meth:`Track.query_share`): a trained SeqFormer's query
  keeps to its object across an absence more often than the embeddings
  tell the objects apart. Continuation compares the embeddings alone: an
  object often passes between two queries with near-identical masks, and
  the query share there cut its track at each change.

One matching, not continuation first: a returning object whose embedding
is close to a track that has just lost its object would otherwise
continue that track before its own lost track is asked
(docs/notes/causal_modes.md).

Instances still unmatched start tracks (no cap on their number). The state
is bounded whatever the video's length: at most ``max_tracks`` tracks are
remembered (the least recently seen is forgotten first), optionally only
those seen within ``max_lost`` frames; each holds two embeddings and at
most one step count per query.

The embeddings are the caller's; the window and clip modes give each
instance its instance query and its query's features in the step's own
frames (:func:`track_descriptors`). Why a memory rather than the latest
embedding for lost tracks, and the measured choices:
docs/notes/causal_modes.md.

Shape legend: ``n`` instances of the step, ``m`` candidate tracks, ``C``
embedding channels.
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

#: The linking options' defaults (the window and clip modes take them).
LINK_DEFAULTS = dict(
    similarity_thr=0.5,
    reid_thr=0.3,
    max_tracks=64,
    max_lost=None,
    appearance_weight=0.5,
    query_weight=0.3)


@dataclass
class Track:
    """One remembered track.

    Attributes:
        latest (Tensor): (C, ) its last unit embedding.
        memory_sum (Tensor): (C, ) the sum of its unit embeddings.
        count (int): Embeddings summed.
        last_seen (int): Last frame it was matched.
        query_steps (dict): Query index -> steps at which that query drew
            it (empty where the caller gives no queries).
    """
    latest: Tensor
    memory_sum: Tensor
    count: int
    last_seen: int
    query_steps: Dict[int, int] = field(default_factory=dict)

    @property
    def memory(self) -> Tensor:
        """(C, ) the unit mean of its embeddings."""
        return F.normalize(self.memory_sum, dim=0)

    def query_share(self, query: int) -> float:
        """The fraction of its steps at which ``query`` drew it (0 if no
        query was ever given)."""
        steps = sum(self.query_steps.values())
        return self.query_steps.get(query, 0) / steps if steps else 0.0

    def add(self,
            embedding: Tensor,
            frame_index: int,
            query: Optional[int] = None) -> None:
        self.latest = embedding
        self.memory_sum = self.memory_sum + embedding
        self.count += 1
        self.last_seen = frame_index
        if query is not None:
            self.query_steps[query] = self.query_steps.get(query, 0) + 1


def hungarian(affinity: Tensor, thresholds: Tensor) -> List[tuple]:
    """``(row, col)`` pairs of the maximum-affinity one-to-one matching
    among the pairs whose affinity reaches their column's threshold.

    Args:
        affinity (Tensor): (n, m) affinities in [-1, 1].
        thresholds (Tensor): (m, ) the lowest affinity of a match in each
            column.
    """
    if not affinity.numel():
        return []
    affinity = affinity.detach().cpu()
    allowed = affinity >= thresholds[None].to(affinity)
    # A forbidden pair costs more than all allowed ones can gain, so it is
    # chosen only where nothing else is left, and then dropped.
    forbidden = -2.0 * (min(affinity.shape) + 1)
    rows, cols = linear_sum_assignment(
        torch.where(allowed, affinity, torch.full_like(affinity,
                                                       forbidden)).numpy(),
        maximize=True)
    return [(int(row), int(col)) for row, col in zip(rows, cols)
            if allowed[row, col]]


class TrackLinker:
    """Tracks linked step by step (see the module docstring).

    Args:
        similarity_thr (float): Lowest affinity that continues an active
            track.
        reid_thr (float): Lowest cosine similarity with a lost track's
            memory that re-identifies it.
        max_tracks (int): Most tracks remembered.
        max_lost (int, optional): Frames a track may go unseen and still
            be continued; None: as long as it is among the ``max_tracks``
            most recently seen.
        query_weight (float): The query share's part of the similarity
            with a lost track, in [0, 1] (see the module docstring); 0, or
            no queries given to :meth:`link`, links by the embeddings
            alone.
    """

    def __init__(self,
                 similarity_thr: float = LINK_DEFAULTS['similarity_thr'],
                 reid_thr: float = LINK_DEFAULTS['reid_thr'],
                 max_tracks: int = LINK_DEFAULTS['max_tracks'],
                 max_lost: Optional[int] = LINK_DEFAULTS['max_lost'],
                 query_weight: float = LINK_DEFAULTS['query_weight']) -> None:
        if max_lost is not None and max_lost < 0:
            raise ValueError(f'max_lost must be >= 0 or None, got {max_lost}')
        if max_tracks < 1:
            raise ValueError(f'max_tracks must be >= 1, got {max_tracks}')
        if not 0 <= query_weight <= 1:
            raise ValueError(
                f'query_weight must be in [0, 1], got {query_weight}')
        self.query_weight = query_weight
        self.similarity_thr = similarity_thr
        self.reid_thr = reid_thr
        self.max_tracks = max_tracks
        self.max_lost = max_lost
        # id -> Track, least recently seen first.
        self.tracks: 'OrderedDict[int, Track]' = OrderedDict()
        self.previous_frame: Optional[int] = None  # the last step's frame
        self.next_id = 0

    def candidates(self, frame_index: int) -> List[int]:
        """Ids of the tracks that can be matched at ``frame_index``, in
        a fixed order (tracks past ``max_lost`` are forgotten here)."""
        if self.max_lost is not None:
            for track in [
                    track for track, state in self.tracks.items()
                    if frame_index - state.last_seen > self.max_lost
            ]:
                del self.tracks[track]
        return sorted(self.tracks)

    def is_active(self, track: int) -> bool:
        """Whether ``track`` was matched at the previous step."""
        return self.tracks[track].last_seen == self.previous_frame

    def affinity(self, units: Tensor, candidates: List[int],
                 extra_affinity: Optional[Tensor],
                 queries: Optional[List[int]]) -> Tuple[Tensor, Tensor]:
        """(n, m) the instances' similarities with the ``candidates``
        (continuation for the active ones, re-identification for the lost
        ones; see the module docstring) and (m, ) the threshold of each.

        Args:
            units (Tensor): (n, C) the instances' unit embeddings.
            candidates (list[int]): The m tracks (:meth:`candidates`).
            extra_affinity (Tensor, optional): (n, m) see :meth:`link`.
            queries (list[int], optional): (n, ) see :meth:`link`.
        """
        active = [self.is_active(track) for track in candidates]
        states = [self.tracks[track] for track in candidates]
        continuation = units @ torch.stack([s.latest for s in states]).T
        if extra_affinity is not None:
            # A bonus, never a penalty: an instance whose query had no
            # mask in the frame before (IoU 0) keeps its similarity.
            continuation = torch.maximum(
                continuation,
                (continuation + extra_affinity.to(continuation)) / 2)
        reid = self.reid_similarity(
            units @ torch.stack([s.memory for s in states]).T, queries,
            candidates)
        thresholds = torch.tensor([
            self.similarity_thr if is_active else self.reid_thr
            for is_active in active
        ])
        return torch.where(
            torch.tensor(active, device=units.device)[None], continuation,
            reid), thresholds

    def reid_similarity(self, cosine: Tensor, queries: Optional[Sequence[int]],
                        tracks: Sequence[int]) -> Tensor:
        """(n, m) the similarity of n instances drawn by ``queries`` with
        the lost ``tracks``, given the (n, m) ``cosine`` of the instances'
        embeddings with the tracks' memories: the cosine, mixed with the
        queries' shares of the tracks' steps by ``query_weight`` where
        queries are given."""
        if queries is None or not self.query_weight:
            return cosine
        share = cosine.new_tensor(
            [[self.tracks[track].query_share(query) for track in tracks]
             for query in queries]).reshape(cosine.shape)
        return (1 - self.query_weight) * cosine + self.query_weight * share

    def link(self,
             embeddings: Tensor,
             frame_index: int,
             extra_affinity: Optional[Tensor] = None,
             queries: Optional[Sequence[int]] = None) -> Tensor:
        """Ids for the instances of one step.

        Args:
            embeddings (Tensor): (n, C) the instances' embeddings.
            frame_index (int): The step's last frame.
            extra_affinity (Tensor, optional): (n, m) another affinity in
                [0, 1] to the tracks of :meth:`candidates` (same order):
                for an active track, its mean with the cosine similarity
                replaces the similarity where it is higher.
            queries (Sequence[int], optional): (n, ) the query that drew
                each instance (see :meth:`reid_similarity`).

        Returns:
            Tensor: (n, ) long ids, stable across steps.
        """
        candidates = self.candidates(frame_index)
        units = F.normalize(embeddings.detach().float(), dim=1)
        ids = [-1] * len(units)
        if queries is not None:
            queries = [int(query) for query in queries]
        if len(units) and candidates:
            affinity, thresholds = self.affinity(units, candidates,
                                                 extra_affinity, queries)
            for row, col in hungarian(affinity, thresholds):
                ids[row] = candidates[col]
        # New tracks; then every matched track learns its embedding.
        for row, unit in enumerate(units):
            if ids[row] < 0:
                ids[row] = self.next_id
                self.next_id += 1
                self.tracks[ids[row]] = Track(unit.clone(),
                                              torch.zeros_like(unit), 0,
                                              frame_index)
            self.tracks[ids[row]].add(
                unit.clone(), frame_index,
                None if queries is None else queries[row])
            self.tracks.move_to_end(ids[row])
        while len(self.tracks) > self.max_tracks:
            self.tracks.popitem(last=False)
        self.previous_frame = frame_index
        return torch.tensor(ids, dtype=torch.long, device=embeddings.device)


def track_descriptors(inst_queries: Tensor,
                      frame_feats: Tensor,
                      appearance: Optional[Tensor] = None,
                      appearance_weight: float = 0.0) -> Tensor:
    """What the window and clip modes link instances by: the unit instance
    query and the unit mean of the query's per-frame features in the
    step's frames, and optionally the unit appearance of the instance
    (:func:`mask_pooled_appearance`), weighted so that the cosine
    similarity of two descriptors is ``(1 - w)`` times the mean of the
    first two cosines plus ``w`` times the appearance cosine.

    The instance query alone sums up the whole window or clip, and the
    queries of different objects are alike (median cosine 0.75 on the long
    synthetic videos); the per-frame features follow what the query sees
    now, and separate returning objects better. Both are tied to the
    query: a query whose object has left and that takes another one keeps
    them. The appearance comes from the encoder's map under the mask,
    whatever query draws it (docs/notes/causal_modes.md).

    Args:
        inst_queries (Tensor): (n, C) the instances' queries.
        frame_feats (Tensor): (t, n, C) their last decoder layer's
            per-frame (box-path) features in the step's frames.
        appearance (Tensor, optional): (n, C_a) their appearance.
        appearance_weight (float): w in [0, 1]; ignored without
            ``appearance``.

    Returns:
        Tensor: (n, 2C) float descriptors of unit length, (n, 2C + C_a)
        with the appearance.
    """
    descriptors = torch.cat([
        F.normalize(inst_queries.float(), dim=-1),
        F.normalize(frame_feats.float().mean(0), dim=-1)
    ], -1) / 2**0.5
    if appearance is None or not appearance_weight:
        return descriptors
    return torch.cat([
        descriptors * (1 - appearance_weight)**0.5,
        F.normalize(appearance.float(), dim=-1) * appearance_weight**0.5
    ], -1)


def mask_pooled_appearance(feature_map: Tensor, mask_logits: Tensor) -> Tensor:
    """Each instance's appearance: the mean of a frame's feature map under
    its soft mask, the map's mean over the frame taken away first (what
    every pixel shares says nothing about which object it is).

    Args:
        feature_map (Tensor): (C, h, w) the frame's stride-8 encoder map.
        mask_logits (Tensor): (n, 2h', 2w') the instances' stride-4 mask
            logits in the frame, h' <= h and w' <= w (the map may be
            padded at the bottom and right).

    Returns:
        Tensor: (n, C) float appearances (zero for an all-background
        mask).
    """
    weights = F.avg_pool2d(mask_logits.float().sigmoid()[:, None], 2)[:, 0]
    height, width = weights.shape[-2:]
    feats = feature_map[:, :height, :width].float()
    feats = feats - feats.mean((1, 2), keepdim=True)
    pooled = torch.einsum('nhw,chw->nc', weights, feats)
    return pooled / weights.sum((1, 2)).clamp(min=1e-6)[:, None]
