"""From network outputs to a video's instances: the selection of (query,
class) pairs, binary masks at the frame's size and per-frame results.

Inference only; the head (:class:`SeqFormerHead`) is the network and its
losses. :class:`SeqFormerEngine` applies these with the ``test_cfg`` it is
given.

Shape legend: ``Q`` queries, ``K`` classes, ``k`` selected pairs, ``n``
instances, ``T`` frames, ``H, W`` the frame size.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import TrackDataSample
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData
from torch import Tensor

#: The inference settings of a SeqFormer (``track_head.test_cfg`` in a
#: config) and their defaults:
#:
#: - ``max_per_video``: pairs selected per video (official 10);
#: - ``mask_thr``: mask probability threshold;
#: - ``score_thr``: lowest pair probability given masks (official: the
#:   others get null masks);
#: - ``embedding_frames``: None (all frames build the instance queries) or
#:   k (k evenly spaced frames do, paper Table 6);
#: - ``amp``: run the network under ``torch.autocast`` (float16 on CUDA,
#:   bfloat16 on the CPU; the deformable sampling, selection and masks in
#:   float32; ``tools/test.py --amp``).
VIDEO_TEST_CFG = dict(
    max_per_video=10,
    mask_thr=0.5,
    score_thr=0.001,
    embedding_frames=None,
    amp=False)


def video_test_cfg(test_cfg: Optional[Dict] = None) -> Dict:
    """``test_cfg`` completed with the defaults of :data:`VIDEO_TEST_CFG`;
    an unknown key fails (a typo would otherwise be ignored)."""
    test_cfg = dict(test_cfg or {})
    unknown = sorted(set(test_cfg) - set(VIDEO_TEST_CFG))
    if unknown:
        raise ValueError(f'unknown test_cfg keys {unknown}; known: '
                         f'{sorted(VIDEO_TEST_CFG)}')
    return {**VIDEO_TEST_CFG, **test_cfg}


@dataclass
class VideoSelection:
    """The top (query, class) pairs of a video, each (k, ), and the lowest
    score a pair needs to be kept (``test_cfg['score_thr']``)."""
    scores: Tensor
    labels: Tensor
    queries: Tensor
    score_thr: float = 0.0

    def kept(self, has_mask: Tensor) -> Tensor:
        """(k, ) bool: pairs kept in the result, those with a mask in some
        frame and a score of at least ``score_thr`` (official: the others
        get null masks)."""
        return has_mask.to(self.scores.device) & (
            self.scores >= self.score_thr)


def select_pairs(cls_scores: Tensor,
                 max_count: int,
                 score_thr: float = 0.0) -> VideoSelection:
    """Top ``max_count`` (query, class) pairs by probability, in the
    official output order.

    The official ``inference.py`` lists the pairs grouped by query: the
    queries in the order of their best pair, and a query's pairs by
    probability. Only the order of the results file depends on it (not AP),
    but with it our entries pair one to one with the official ones.

    Args:
        cls_scores (Tensor): (Q, K) logits of the last layer.
        max_count (int): Most pairs.
        score_thr (float): Recorded in the selection (see
            :meth:`VideoSelection.kept`).
    """
    num_classes = cls_scores.shape[-1]
    probs = cls_scores.sigmoid().flatten()
    scores, indices = probs.topk(min(max_count, probs.numel()))
    queries = indices // num_classes
    # Rank of each pair's query = rank of that query's best pair.
    first_rank = (queries[:, None] == queries[None]).int().argmax(1)
    order = torch.sort(first_rank, stable=True).indices
    return VideoSelection(scores[order], indices[order] % num_classes,
                          queries[order], score_thr)


def select_per_frame(cls_scores: Tensor, max_count: int,
                     score_thr: float) -> Tuple[Tensor, Tensor, Tensor]:
    """The best queries of a step of a causal mode, each with its best
    class.

    Args:
        cls_scores (Tensor): (Q, K) class logits.
        max_count (int): Most queries kept.
        score_thr (float): Lowest probability kept.

    Returns:
        tuple[Tensor, Tensor, Tensor]: scores, labels, query indices, each
        (n, ), best first.
    """
    scores, labels = cls_scores.sigmoid().max(1)
    scores, queries = scores.topk(min(max_count, len(scores)))
    keep = scores >= score_thr
    return scores[keep], labels[queries[keep]], queries[keep]


def embedding_frames(count: Optional[int], num_frames: int,
                     device: torch.device) -> Optional[Tensor]:
    """Indices of ``count`` evenly spaced frames of ``num_frames``
    (``test_cfg['embedding_frames']``, paper Table 6); None for all."""
    if count is None or count >= num_frames:
        return None
    return torch.linspace(
        0, num_frames - 1, count, device=device).round().long().unique()


def logits_to_masks(logits: Tensor, data_sample: TrackDataSample,
                    rescale: bool, mask_thr: float) -> Tensor:
    """Binary masks from stride-4 logits, (n, T, H, W).

    The logits cover the batch input; they are cut to the frame's valid
    area at stride 4 and resized (bilinear, ``align_corners=False``) to the
    original frame size, then ``sigmoid > mask_thr``. Test inputs are not
    padded (``SeqFormerDataPreprocessor``), so nothing is cut and this is
    the official inference exactly: stride-4 logits straight to the
    original size, then ``sigmoid > 0.5`` (sigmoid kept: in float32 it
    rounds tiny positive logits to 0.5).

    Args:
        logits (Tensor): (n, T, h4, w4) logits over the network input.
        data_sample (TrackDataSample): A frame of the video (sizes).
        rescale (bool): Masks at the original frame size, else at the
            network input's.
        mask_thr (float): Probability threshold.
    """
    img_h, img_w = data_sample[0].img_shape
    pad_h, pad_w = data_sample[0].batch_input_shape
    height, width = logits.shape[-2:]
    logits = logits[..., :round(height * img_h / pad_h), :round(width * img_w /
                                                                pad_w)]
    size = data_sample[0].ori_shape if rescale else (img_h, img_w)
    if logits.shape[0] == 0:
        return logits.new_zeros((0, logits.shape[1], *size), dtype=bool)
    logits = F.interpolate(
        logits, size=size, mode='bilinear', align_corners=False)
    return logits.sigmoid() > mask_thr


def frame_instances(masks: Tensor,
                    scores: Tensor,
                    labels: Tensor,
                    ids: Tensor,
                    drop_empty: bool = True) -> InstanceData:
    """One frame's instances from (n, H, W) bool masks, with their mask
    boxes; ``drop_empty`` leaves out the instances without a pixel (else
    they stay, with zero boxes: every frame of a whole-video result holds
    every instance, as mmdet's YouTube-VIS metric expects)."""
    if drop_empty:
        keep = masks.flatten(1).any(1)
        masks, scores, labels, ids = (masks[keep], scores[keep], labels[keep],
                                      ids[keep])
    return InstanceData(
        masks=masks,
        bboxes=mask2bbox(masks),
        labels=labels,
        scores=scores,
        instances_id=ids)


def video_frame_instances(masks: Tensor, scores: Tensor, labels: Tensor,
                          ids: Tensor, first_frame: int,
                          drop_empty: bool) -> List[Tuple[int, InstanceData]]:
    """(frame index, instances) of each frame of (n, t, H, W) masks whose
    first frame is ``first_frame``."""
    return [(first_frame + t,
             frame_instances(masks[:, t], scores, labels, ids, drop_empty))
            for t in range(masks.shape[1])]
