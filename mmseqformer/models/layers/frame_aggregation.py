"""The temporal aggregation of one decoder layer, over any set of frames.

A decoder layer combines the instance-path features ``A_t`` of its frames
into ``sum_t softmax_t(s_t) A_t`` with ``s_t = frame_weight_fc(B_t)`` (or a
plain sum or mean; paper Table 5). :class:`FrameAggregation` is that sum as a
running state: it keeps the running maximum ``m`` of the logits, the
denominator ``sum_t exp(s_t - m)`` and the numerator
``sum_t exp(s_t - m) A_t``, rescaling both by ``exp(m_old - m_new)`` when the
maximum grows (the online softmax of Milakov & Gimelshein, 2018). Fed all
frames at once it is the layer's aggregation, computed as the official code
does (``softmax`` over frames, then the weighted sum: training and
whole-video inference give the same bits as before streaming existed); fed
chunk after chunk it gives the same result up to float rounding with a
state of (bs, Q, C) whatever the video's length (streaming and online
inference).

Shape legend: ``bs`` clips, ``t`` frames of a chunk, ``Q`` queries, ``C``
channels.
"""
from typing import Optional

import torch
from torch import Tensor

#: How the per-frame instance features are combined (paper Table 5).
AGGREGATIONS = ('weighted', 'average', 'sum')


class FrameAggregation:
    """Running state of one layer's aggregation over frames.

    Args:
        mode (str): ``'weighted'`` (softmax over frames of the frame
            logits, official), ``'average'`` or ``'sum'``.
    """

    def __init__(self, mode: str = 'weighted') -> None:
        if mode not in AGGREGATIONS:
            raise ValueError(f'aggregation must be one of {AGGREGATIONS}, '
                             f'got {mode!r}')
        self.mode = mode
        self.running_max: Optional[Tensor] = None  # (bs, Q, 1)
        self.denominator: Optional[Tensor] = None  # (bs, Q, 1)
        self.numerator: Optional[Tensor] = None  # (bs, Q, C)
        self.num_frames = 0
        # The first chunk, kept as given until a second one comes: alone it
        # is aggregated with the plain softmax formula.
        self.first: Optional[tuple] = None

    def update(self,
               inst_feats: Tensor,
               logits: Optional[Tensor] = None) -> 'FrameAggregation':
        """Add a chunk of frames.

        Args:
            inst_feats (Tensor): (bs, t, Q, C) instance-path features.
            logits (Tensor, optional): (bs, t, Q, 1) unnormalised frame
                weights; needed by the weighted mode only.

        Returns:
            FrameAggregation: self.
        """
        if self.mode == 'weighted' and logits is None:
            raise ValueError('the weighted aggregation needs frame logits')
        if self.num_frames == 0:
            self.num_frames = inst_feats.shape[1]
            self.first = (inst_feats, logits)
            return self
        if self.first is not None:
            first, self.first = self.first, None
            self._accumulate(*first)
        self.num_frames += inst_feats.shape[1]
        self._accumulate(inst_feats, logits)
        return self

    def _accumulate(self, inst_feats: Tensor,
                    logits: Optional[Tensor]) -> None:
        """Add a chunk to the running sums."""
        if self.mode != 'weighted':
            self.numerator = _add(self.numerator, inst_feats.sum(1))
            return
        # The result does not depend on the shift, so it carries no
        # gradient (as inside a softmax).
        chunk_max = logits.detach().amax(1)
        if self.running_max is None:
            new_max = chunk_max
        else:
            new_max = torch.maximum(self.running_max, chunk_max)
            rescale = (self.running_max - new_max).exp()
            self.numerator = self.numerator * rescale
            self.denominator = self.denominator * rescale
        self.running_max = new_max
        exp = (logits - new_max[:, None]).exp()
        self.numerator = _add(self.numerator, (exp * inst_feats).sum(1))
        self.denominator = _add(self.denominator, exp.sum(1))

    def result(self) -> Tensor:
        """The aggregated features of all frames added, (bs, Q, C)."""
        if self.num_frames == 0:
            raise RuntimeError('no frames were added to the aggregation')
        if self.first is not None:
            inst_feats, logits = self.first
            if self.mode == 'sum':
                return inst_feats.sum(1)
            if self.mode == 'average':
                return inst_feats.mean(1)
            return (logits.softmax(1) * inst_feats).sum(1)
        if self.mode == 'sum':
            return self.numerator
        if self.mode == 'average':
            return self.numerator / self.num_frames
        return self.numerator / self.denominator


def _add(total: Optional[Tensor], value: Tensor) -> Tensor:
    return value if total is None else total + value
