"""Link instances of consecutive windows or clips into tracks.

Each step (a window position or a clip) gives instances with an embedding
(their instance query). :class:`TrackLinker` matches them one to one with
the tracks seen in the last ``max_lost`` frames by Hungarian matching on
the cosine similarity of the embeddings (averaged with any other affinity
the caller has, e.g. mask IoU on frames two clips share), and accepts a
match when the affinity reaches ``similarity_thr``. Unmatched instances
start new tracks: there is no cap on their number, while the state holds
only the tracks still within ``max_lost`` frames (one embedding each).

Shape legend: ``n`` instances of the step, ``m`` candidate tracks, ``C``
embedding channels.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor


class TrackLinker:
    """Tracks, each with its latest embedding and the last frame it was in.

    Args:
        similarity_thr (float): Lowest affinity that continues a track.
        max_lost (int): Frames a track may go unseen and still be
            continued; older tracks are forgotten.
    """

    def __init__(self,
                 similarity_thr: float = 0.5,
                 max_lost: int = 30) -> None:
        if max_lost < 0:
            raise ValueError(f'max_lost must be >= 0, got {max_lost}')
        self.similarity_thr = similarity_thr
        self.max_lost = max_lost
        self.embeddings: Dict[int, Tensor] = {}  # id -> (C, )
        self.last_seen: Dict[int, int] = {}
        self.next_id = 0

    def candidates(self, frame_index: int) -> List[int]:
        """Ids of the tracks that can be continued at ``frame_index``, in
        a fixed order (older tracks are forgotten here)."""
        for track in [
                track for track, seen in self.last_seen.items()
                if frame_index - seen > self.max_lost
        ]:
            del self.embeddings[track], self.last_seen[track]
        return sorted(self.last_seen)

    def link(self,
             embeddings: Tensor,
             frame_index: int,
             extra_affinity: Optional[Tensor] = None) -> Tensor:
        """Ids for the instances of one step.

        Args:
            embeddings (Tensor): (n, C) the instances' embeddings.
            frame_index (int): The step's last frame.
            extra_affinity (Tensor, optional): (n, m) another affinity in
                [0, 1] to the tracks of :meth:`candidates` (same order),
                averaged with the cosine similarity.

        Returns:
            Tensor: (n, ) long ids, stable across steps.
        """
        candidates = self.candidates(frame_index)
        ids = [-1] * len(embeddings)
        if len(embeddings) and candidates:
            tracks = torch.stack([self.embeddings[t] for t in candidates])
            affinity = F.normalize(
                embeddings.float(), dim=1) @ F.normalize(
                    tracks.float(), dim=1).T
            if extra_affinity is not None:
                affinity = (affinity + extra_affinity.float()) / 2
            rows, cols = linear_sum_assignment(
                affinity.cpu().numpy(), maximize=True)
            for row, col in zip(rows, cols):
                if affinity[row, col] >= self.similarity_thr:
                    ids[row] = candidates[col]
        for index, embedding in enumerate(embeddings):
            if ids[index] < 0:
                ids[index] = self.next_id
                self.next_id += 1
            self.embeddings[ids[index]] = embedding.detach().clone()
            self.last_seen[ids[index]] = frame_index
        return torch.tensor(ids, dtype=torch.long, device=embeddings.device)
