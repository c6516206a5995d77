"""A contrastive loss that makes an object's query embeddings in different
clips of one video alike, and unlike the other queries'.

The window and clip modes link the instances of consecutive clips by the
cosine similarity of their instance queries and query features, and of
the encoder's map under their masks
(:func:`~mmseqformer.models.vis.track_linker.track_descriptors`; the head
passes the query part of those descriptors here: the appearance is the
encoder's, which this loss does not train). SeqFormer's own losses never ask
two clips' queries of one object to be alike, and the queries of different
objects come out alike too (docs/notes/causal_modes.md). This loss asks for
it, as the contrastive heads of IDOL (Wu et al. 2022) and CTVIS (Ying et
al. 2023) do for per-frame embeddings: each query matched to an object in
one clip must pick, among all the queries of another clip of the same
video, the one matched to the same object (an InfoNCE cross-entropy over
cosine similarities).

NOTE: not part of official SeqFormer; an option of ours for the causal
modes (``SeqFormerHead(association_loss=...)``). Measured in a short
fine-tuning of the demo model, it did not pay (docs/notes/causal_modes.md).

Shape legend: ``k`` clips of one video, ``Q`` queries, ``C`` channels.
"""
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class ClipAssociationLoss(nn.Module):
    """InfoNCE over the queries of the other clips of one video.

    For every ordered pair of clips ``(i, j)`` and every query ``q`` of
    clip ``i`` matched to an object that some query ``p`` of clip ``j`` is
    matched to as well, the loss is the cross-entropy of the softmax over
    ``cos(e_i[q], e_j[:]) / temperature`` against ``p``: the unmatched
    queries of clip ``j`` and those of the other objects are the negatives.
    The loss is the mean over all such anchors of the batch, times
    ``loss_weight``; zero (with a gradient path) when there are none.

    Args:
        temperature (float): Softmax temperature of the cosines. Defaults
            to 0.1.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, embeddings: Tensor, object_ids: Tensor) -> Tensor:
        """The loss of some videos.

        Args:
            embeddings (Tensor): (videos, k, Q, C) the queries of ``k``
                clips of each video.
            object_ids (Tensor): (videos, k, Q) long, the object each query
                is matched to in its clip (any id unique within the video),
                -1 for an unmatched query.

        Returns:
            Tensor: the scalar loss.
        """
        units = F.normalize(embeddings.float(), dim=-1)
        num_clips = units.shape[1]
        losses = []
        for video_units, video_ids in zip(units, object_ids):
            for i in range(num_clips):
                for j in range(num_clips):
                    if i == j:
                        continue
                    anchors, targets = _shared_objects(video_ids[i],
                                                       video_ids[j])
                    if not len(anchors):
                        continue
                    logits = video_units[i, anchors] @ video_units[j].T
                    losses.append(
                        F.cross_entropy(
                            logits / self.temperature,
                            targets,
                            reduction='none'))
        if not losses:
            return embeddings.sum() * 0
        return self.loss_weight * torch.cat(losses).mean()


def _shared_objects(ids_a: Tensor, ids_b: Tensor):
    """Queries of clip a whose object a query of clip b has too, and that
    query of b: two (n, ) long tensors."""
    same = (ids_a[:, None] == ids_b[None]) & (ids_a[:, None] >= 0)
    anchors, targets = torch.nonzero(same, as_tuple=True)
    return anchors, targets
