"""Whole-video SeqFormer inference, fed a chunk of frames at a time.

SeqFormer is offline: every instance query sees every frame. But with query
decomposition the decoder's box path never reads the instance query, and
the instance path reads the frames only through each layer's softmax-over-
frames weighted sum (``docs/official_behaviour.md`` §1.5). So:

1. each chunk goes through backbone, neck, encoder and the box path of all
   decoder layers; each layer's weighted sum is accumulated online
   (:class:`OnlineFrameAggregator`); the chunk keeps only its D-channel mask
   features and the per-frame references of the last layer;
2. :meth:`StreamingSeqFormer.finish` runs the instance path of all layers
   once and picks the top (query, class) pairs, as whole-video inference;
3. :meth:`StreamingSeqFormer.masks` renders the kept queries' masks chunk by
   chunk.

The result equals :meth:`SeqFormer.predict` on the whole video up to float
rounding; memory holds one chunk's activations plus, per frame, ``D x h x w``
mask features and ``Q x 4`` reference boxes.

Shape legend: ``t`` frames of a chunk, ``Q`` queries, ``C`` embed_dims,
``D`` mask feature channels, ``h, w`` the stride-8 size, ``k`` kept pairs.
"""
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

import torch
from mmdet.structures import TrackDataSample
from torch import Tensor

from ..layers import OnlineFrameAggregator


@dataclass
class VideoSelection:
    """The top (query, class) pairs of a video, each (k, )."""
    scores: Tensor
    labels: Tensor
    queries: Tensor


class StreamingSeqFormer:
    """Run a :class:`SeqFormer` on a video one chunk of frames at a time.

    Args:
        model (SeqFormer): The model, in eval mode.
        num_frames (int, optional): The video's length; needed only when
            ``test_cfg['embedding_frames']`` picks frames (paper Table 6).

    Example:
        >>> stream = StreamingSeqFormer(model)
        >>> for inputs, sample in chunks:  # (1, t, 3, H, W), t frames
        ...     stream.add_chunk(inputs, sample)
        >>> selection = stream.finish()
        >>> for first_frame, masks in stream.masks():  # (k, t, H, W)
        ...     ...
    """

    def __init__(self, model, num_frames: Optional[int] = None) -> None:
        self.model = model
        self.head = model.track_head
        if not all(layer.query_decompose
                   for layer in self.head.decoder.layers):
            raise ValueError('streaming inference needs query decomposition '
                             '(the box path must not read the instance '
                             'query); use SeqFormer.predict on whole videos')
        if self.head.test_cfg['embedding_frames'] is not None and \
                num_frames is None:
            raise ValueError('test_cfg.embedding_frames picks frames by the '
                             "video's length: pass num_frames")
        self.expected_frames = num_frames
        self.aggregators = [
            OnlineFrameAggregator(layer) for layer in self.head.decoder.layers
        ]
        self.mask_feats: List[Tensor] = []  # per chunk, (t, D, h, w)
        self.references: List[Tensor] = []  # per chunk, (t, Q, 4)
        self.frame_meta: Optional[TrackDataSample] = None
        self.num_frames = 0
        self.selection: Optional[VideoSelection] = None
        self.inst_queries: Optional[Tensor] = None  # (Q, C), last layer

    @torch.no_grad()
    def add_chunk(self, inputs: Tensor, data_sample: TrackDataSample) -> None:
        """Encode a chunk and run the box path of every layer on it.

        Args:
            inputs (Tensor): (1, t, 3, H, W) preprocessed frames, the size
                of every other chunk of the video (not padded at test).
            data_sample (TrackDataSample): The chunk's t frames.
        """
        if self.selection is not None:
            raise RuntimeError('finish() was called: start a new stream')
        num_frames = inputs.shape[1]
        self._check_frame_size(data_sample)
        encoded = self.model.encode(inputs, [data_sample])
        box_queries, inst_feats, references = self.head.box_path(
            encoded, num_frames)
        frames = self._embedding_frames(num_frames, inputs.device)
        if frames is None or len(frames):
            for aggregator, feats, box_query in zip(self.aggregators,
                                                    inst_feats, box_queries):
                if frames is not None:
                    feats, box_query = feats[:, frames], box_query[:, frames]
                aggregator.update(feats, box_query)
        self.references.append(references[-1][0])
        self.mask_feats.append(self.head.mask_features(encoded))
        self.num_frames += num_frames

    def _check_frame_size(self, data_sample: TrackDataSample) -> None:
        frame = data_sample[0]
        if self.frame_meta is None:
            self.frame_meta = data_sample
            return
        first = self.frame_meta[0]
        for key in ('img_shape', 'batch_input_shape', 'ori_shape'):
            if tuple(frame.metainfo[key]) != tuple(first.metainfo[key]):
                raise ValueError(
                    f'frame {self.num_frames}: {key} {frame.metainfo[key]} '
                    f'differs from the first frame ({first.metainfo[key]}); '
                    'all frames of a video must have one size')

    def _embedding_frames(self, num_frames: int,
                          device: torch.device) -> Optional[Tensor]:
        """Indices within this chunk of the frames that build the
        instance queries (all when None)."""
        if self.expected_frames is None:
            return None
        picked = self.head.embedding_frames(self.expected_frames, device)
        if picked is None:
            return None
        start = self.num_frames
        inside = (picked >= start) & (picked < start + num_frames)
        return picked[inside] - start

    @torch.no_grad()
    def finish(self) -> VideoSelection:
        """Run the instance path and pick the top (query, class) pairs."""
        if self.num_frames == 0:
            raise ValueError('the video has no frames')
        if self.expected_frames not in (None, self.num_frames):
            raise ValueError(f'expected {self.expected_frames} frames, got '
                             f'{self.num_frames}')
        cls_scores, inst_queries = self.head.instance_path(
            [aggregator.result() for aggregator in self.aggregators])
        scores, queries, labels = self.head.select(cls_scores[-1][0])
        self.inst_queries = inst_queries[-1][0]  # (Q, C)
        self.selection = VideoSelection(scores, labels, queries)
        return self.selection

    @torch.no_grad()
    def mask_logits(self) -> Iterator[Tuple[int, Tensor]]:
        """Stride-4 mask logits of the selected pairs, chunk by chunk.

        Yields:
            tuple[int, Tensor]: the chunk's first frame and (k, t, H/4, W/4)
            logits over the network input, one row per selected pair.
        """
        if self.selection is None:
            raise RuntimeError('call finish() first')
        unique_queries, inverse = self.selection.queries.unique(
            return_inverse=True)
        img_h, img_w = self.frame_meta[0].img_shape
        first_frame = 0
        for mask_feats, references in zip(self.mask_feats, self.references):
            logits = self.head.instance_masks(
                mask_feats, self.inst_queries[unique_queries],
                references[:, unique_queries], (img_w, img_h))
            yield first_frame, logits[inverse]
            first_frame += len(mask_feats)

    def masks(self, rescale: bool = True) -> Iterator[Tuple[int, Tensor]]:
        """Binary masks of the selected pairs, chunk by chunk.

        Yields:
            tuple[int, Tensor]: the chunk's first frame and (k, t, H, W)
            bool masks at the original frame size (``rescale``) or the
            network's input size.
        """
        for first_frame, logits in self.mask_logits():
            yield first_frame, self.head.logits_to_masks(
                logits, self.frame_meta, rescale)
