"""Whole-video SeqFormer inference, fed one or more chunks of frames.

Every instance query sees every frame, as in the official code; the video
may come in chunks (:meth:`OfflineVideoInference.add_chunk`), each going
through the encoder and the box path once (:class:`SeqFormerEngine`), with
each layer's weighted sum accumulated online. After the last chunk,
:meth:`~OfflineVideoInference.finish` runs the instance path once and picks
the top (query, class) pairs; :meth:`~OfflineVideoInference.masks` renders
them chunk by chunk. One chunk of the whole video is
:meth:`SeqFormer.predict`; smaller chunks give the same result up to float
rounding, with memory holding one chunk's activations plus, per frame,
``D x h x w`` mask features and ``Q x 4`` reference boxes.

Without query decomposition (the ablation of paper Table 3) the box path
reads the instance query, so only one chunk is possible and the decoder's
full forward runs instead.

Shape legend: ``t`` frames of a chunk, ``Q`` queries, ``C`` embed_dims,
``K`` classes, ``k`` kept pairs, ``H, W`` the frame size.
"""
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

import torch
from mmdet.structures import TrackDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from .video_engine import FrameRecord, build_engine


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


class OfflineVideoInference:
    """Run a :class:`SeqFormer` on a whole video, one chunk at a time.

    Args:
        model (SeqFormer): The model, in eval mode.
        num_frames (int, optional): The video's length; needed only when
            ``test_cfg['embedding_frames']`` picks frames (paper Table 6).
        amp (bool): The network under autocast (:class:`SeqFormerEngine`).

    Example:
        >>> video = OfflineVideoInference(model)
        >>> for inputs, sample in chunks:  # (1, t, 3, H, W), t frames
        ...     video.add_chunk(inputs, sample)
        >>> selection = video.finish()
        >>> for first_frame, masks in video.masks():  # (k, t, H, W)
        ...     ...
    """

    def __init__(self,
                 model,
                 num_frames: Optional[int] = None,
                 amp: bool = False) -> None:
        self.engine = build_engine(model, amp)
        self.head = model.track_head
        if self.head.test_cfg['embedding_frames'] is not None and \
                num_frames is None:
            raise ValueError('test_cfg.embedding_frames picks frames by the '
                             "video's length: pass num_frames")
        self.expected_frames = num_frames
        self.aggregations = self.engine.new_aggregations()
        self.records: List[FrameRecord] = []  # per chunk, no inst_feats
        self.selection: Optional[VideoSelection] = None
        self.cls_scores: Optional[Tensor] = None  # (Q, K), last layer
        self.inst_queries: Optional[Tensor] = None  # (Q, C), last layer

    @property
    def num_frames(self) -> int:
        return self.engine.num_frames

    @torch.no_grad()
    def add_chunk(self, inputs: Tensor, data_sample: TrackDataSample) -> None:
        """Encode a chunk, run the box path of every layer on it and add it
        to the aggregations.

        Args:
            inputs (Tensor): (1, t, 3, H, W) preprocessed frames, the size
                of every other chunk of the video (not padded at test).
            data_sample (TrackDataSample): The chunk's t frames.
        """
        if self.selection is not None:
            raise RuntimeError('finish() was called: start a new video')
        if not self.engine.decomposed:
            self._add_whole_video(inputs, data_sample)
            return
        record = self.engine.run_frames(inputs, data_sample)
        frames = self._embedding_frames(record)
        if frames is None:
            self.engine.aggregate(self.aggregations, record)
        elif len(frames):
            self.engine.aggregate(self.aggregations,
                                  _pick_frames(record, frames))
        # Only the masks need the chunk from now on.
        record.inst_feats = record.frame_logits = None
        self.records.append(record)

    def _add_whole_video(self, inputs: Tensor,
                         data_sample: TrackDataSample) -> None:
        """The decoder's full forward, for models without query
        decomposition (one chunk only)."""
        if self.records:
            raise ValueError('without query decomposition the whole video '
                             'must come as one chunk')
        engine = self.engine
        engine.check_frame_size(data_sample)
        encoded = engine.model.encode(inputs, [data_sample])
        cls_scores, _, inst_queries, references = self.head(
            encoded,
            self.head.embedding_frames(encoded.num_frames, inputs.device))
        self.cls_scores = cls_scores[-1][0]
        self.inst_queries = inst_queries[-1][0]
        self.records.append(
            FrameRecord(
                first_frame=0,
                inst_feats=None,
                frame_logits=None,
                references=references[-1][0],
                mask_feats=self.head.mask_features(encoded)))
        engine.num_frames = encoded.num_frames

    def _embedding_frames(self, record: FrameRecord) -> Optional[Tensor]:
        """Indices within the record of the frames that build the
        instance queries (all when None)."""
        if self.expected_frames is None:
            return None
        picked = self.head.embedding_frames(self.expected_frames,
                                            record.references.device)
        if picked is None:
            return None
        start = record.first_frame
        inside = (picked >= start) & (picked < start + len(record))
        return picked[inside] - start

    @torch.no_grad()
    def finish(self) -> VideoSelection:
        """Run the instance path and pick the top (query, class) pairs."""
        if self.num_frames == 0:
            raise ValueError('the video has no frames')
        if self.expected_frames not in (None, self.num_frames):
            raise ValueError(f'expected {self.expected_frames} frames, got '
                             f'{self.num_frames}')
        if self.inst_queries is None:
            self.cls_scores, self.inst_queries = \
                self.engine.instance_queries(self.aggregations)
        scores, queries, labels = self.head.select(self.cls_scores)
        self.selection = VideoSelection(scores, labels, queries,
                                        self.head.test_cfg['score_thr'])
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
        for record in self.records:
            yield record.first_frame, self.engine.mask_logits(
                record, self.inst_queries, self.selection.queries)

    def masks(self, rescale: bool = True) -> Iterator[Tuple[int, Tensor]]:
        """Binary masks of the selected pairs, chunk by chunk.

        Yields:
            tuple[int, Tensor]: the chunk's first frame and (k, t, H, W)
            bool masks at the original frame size (``rescale``) or the
            network's input size.
        """
        for first_frame, logits in self.mask_logits():
            yield first_frame, self.head.logits_to_masks(
                logits, self.engine.frame_meta, rescale)

    def frame_results(self,
                      rescale: bool = True) -> List[Tuple[int, InstanceData]]:
        """Every frame's kept instances (the masks of all frames at once).

        Returns:
            list[tuple[int, InstanceData]]: per frame, its index and
            ``masks`` (k, H, W) bool, ``bboxes``, ``labels``, ``scores``
            and ``instances_id`` (k, ).
        """
        masks = torch.cat([chunk for _, chunk in self.masks(rescale)], 1)
        keep = self.selection.kept(masks.flatten(1).any(1))
        results = self.head.per_frame_results(masks[keep],
                                              self.selection.scores[keep],
                                              self.selection.labels[keep])
        return list(enumerate(results))


def _pick_frames(record: FrameRecord, frames: Tensor) -> FrameRecord:
    """The record's instance-path inputs of some of its frames."""
    return FrameRecord(
        first_frame=record.first_frame,
        inst_feats=record.inst_feats[:, frames],
        frame_logits=None
        if record.frame_logits is None else record.frame_logits[:, frames],
        references=record.references[frames],
        mask_feats=None)
