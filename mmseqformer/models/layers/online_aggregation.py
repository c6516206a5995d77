"""The temporal aggregation of one decoder layer, over chunks of frames.

:meth:`SeqFormerDecoderLayer.aggregate` combines the instance-path features
``A_t`` of all T frames at once: ``sum_t softmax_t(s_t) A_t`` with
``s_t = frame_weight_fc(B_t)`` (or a plain sum or mean). Streaming inference
sees the frames a chunk at a time, so it keeps the running maximum ``m`` of
the logits, the denominator ``sum_t exp(s_t - m)`` and the numerator
``sum_t exp(s_t - m) A_t``, rescaling both by ``exp(m_old - m_new)`` when the
maximum grows (the online softmax of Milakov & Gimelshein, 2018). The result
equals the whole-video aggregation up to float rounding, and the state is
(bs, Q, C) whatever the video's length.

Shape legend: ``bs`` clips, ``t`` frames of a chunk, ``Q`` queries, ``C``
channels.
"""
from typing import Optional

import torch
from torch import Tensor

from .seqformer_decoder import SeqFormerDecoderLayer


class OnlineFrameAggregator:
    """Running state of one layer's aggregation over frame chunks.

    Args:
        layer (SeqFormerDecoderLayer): The layer whose ``aggregation`` mode
            and ``frame_weight_fc`` are used.
    """

    def __init__(self, layer: SeqFormerDecoderLayer) -> None:
        self.layer = layer
        self.running_max: Optional[Tensor] = None  # (bs, Q, 1)
        self.denominator: Optional[Tensor] = None  # (bs, Q, 1)
        self.numerator: Optional[Tensor] = None  # (bs, Q, C)
        self.num_frames = 0

    def update(self, inst_feats: Tensor, box_query: Tensor) -> None:
        """Add a chunk of frames.

        Args:
            inst_feats (Tensor): (bs, t, Q, C) instance-path features.
            box_query (Tensor): (bs, t, Q, C) the layer's new box queries.
        """
        self.num_frames += inst_feats.shape[1]
        if self.layer.aggregation != 'weighted':
            self.numerator = _add(self.numerator, inst_feats.sum(1))
            return
        logits = self.layer.frame_logits(box_query)  # (bs, t, Q, 1)
        chunk_max = logits.amax(1)
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
        if self.numerator is None:
            raise RuntimeError('no frames were added to the aggregation')
        if self.layer.aggregation == 'sum':
            return self.numerator
        if self.layer.aggregation == 'average':
            return self.numerator / self.num_frames
        return self.numerator / self.denominator


def _add(total: Optional[Tensor], value: Tensor) -> Tensor:
    return value if total is None else total + value
