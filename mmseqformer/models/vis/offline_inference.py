"""Whole-video SeqFormer inference, fed one or more chunks of frames.

Every instance query sees every frame, as in the official code; the video
may come in chunks (:meth:`OfflineVideoInference.push`), each going
through the encoder and the box path once (:class:`SeqFormerEngine`), with
each layer's weighted sum accumulated online.
:meth:`~OfflineVideoInference.flush` runs the instance path once, picks the
top (query, class) pairs and renders them chunk by chunk. One chunk of the
whole video is :meth:`SeqFormer.predict`; smaller chunks give the same
result up to float rounding, with memory holding one chunk's activations
plus, per frame, ``D x h x w`` mask features and ``Q x 4`` reference boxes.

Without query decomposition (the ablation of paper Table 3) the box path
reads the instance query, so only one chunk is possible and the decoder's
full forward runs instead.

Shape legend: ``t`` frames of a chunk, ``Q`` queries, ``C`` embed_dims,
``K`` classes, ``k`` selected pairs, ``H, W`` the frame size.
"""
from typing import Iterator, List, Optional, Tuple

import torch
from mmdet.structures import TrackDataSample
from torch import Tensor

from .video_engine import FrameRecord
from .video_inference import FrameOutput, VideoInference, register_mode
from .video_postprocess import VideoSelection, video_frame_instances


@register_mode('offline')
class OfflineVideoInference(VideoInference):
    """Run a SeqFormer on a whole video, one chunk at a time; every frame
    is decided after the last one.

    The frames of :meth:`flush` hold the selected pairs scoring at least
    ``test_cfg['score_thr']`` that have a mask in that frame; a pair's id
    is its rank among them (0..k-1, the official output order). A pair
    with no mask in any frame appears in no frame (official: a null
    result), so the ids of a video's frames may skip it;
    ``VideoCollector(dense_ids=True)`` numbers the others 0..n-1 as
    :meth:`video_results` does.

    Args:
        model: The model (see :class:`VideoInference`).
        num_frames (int, optional): The video's length; when
            ``test_cfg['embedding_frames']`` picks frames (paper Table 6)
            and it is unknown, the whole video must come in one push.
        chunk_size (int, optional): Frames per push wanted
            (:meth:`frames_wanted`); None for the whole video. Small chunks
            are fastest on a CPU (2-4 frames: activations stay in cache);
            on a GPU, larger chunks use it better.
        amp (bool): The network under autocast (:class:`SeqFormerEngine`).
    """
    latency = None

    def __init__(self,
                 model,
                 num_frames: Optional[int] = None,
                 chunk_size: Optional[int] = 4,
                 amp: bool = False) -> None:
        super().__init__(model, num_frames, amp)
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
        self.chunk_size = chunk_size
        self.needs_length = \
            self.engine.test_cfg['embedding_frames'] is not None
        # Without the length the first push must be the whole video.
        self.whole_in_one_push = self.needs_length and num_frames is None
        self.aggregations = self.engine.new_aggregations()
        self.records: List[FrameRecord] = []  # per chunk, no inst_feats
        self.selection: Optional[VideoSelection] = None
        self.cls_scores: Optional[Tensor] = None  # (Q, K), last layer
        self.inst_queries: Optional[Tensor] = None  # (Q, C), last layer

    @property
    def num_frames(self) -> int:
        """Frames pushed so far."""
        return self.engine.num_frames

    def frames_wanted(self) -> Optional[int]:
        if self.whole_in_one_push or not self.engine.decomposed:
            # The length is known once the video is read; without query
            # decomposition the decoder needs every frame at once.
            return None
        return self.chunk_size

    @torch.no_grad()
    def push(self, inputs: Tensor,
             data_sample: TrackDataSample) -> List[FrameOutput]:
        """Encode a chunk, run the box path of every layer on it and add it
        to the aggregations; no frame is decided before the end."""
        if self.selection is not None:
            raise RuntimeError('flush() was called: start a new video')
        if self.whole_in_one_push:
            if self.records:
                raise ValueError(
                    "test_cfg.embedding_frames picks frames by the video's "
                    'length: give num_frames or push the whole video at once')
            self.video_length = inputs.shape[1]
        if not self.engine.decomposed:
            self._push_whole_video(inputs, data_sample)
            return []
        record = self.engine.run_frames(inputs, data_sample)
        frames = self._embedding_frames(record)
        if frames is None:
            self.engine.aggregate(self.aggregations, record)
        elif len(frames):
            self.engine.aggregate(self.aggregations,
                                  _pick_frames(record, frames))
        # Only the masks need the chunk from now on (the encoder map, what
        # the linked modes pool, would be C / D times the mask features).
        record.inst_feats = record.frame_logits = None
        record.appearance_feats = None
        self.records.append(record)
        return []

    def _push_whole_video(self, inputs: Tensor,
                          data_sample: TrackDataSample) -> None:
        """The decoder's full forward, for models without query
        decomposition (one chunk only)."""
        if self.records:
            raise ValueError('without query decomposition the whole video '
                             'must come as one chunk')
        self.cls_scores, self.inst_queries, record = \
            self.engine.run_whole_video(
                inputs, data_sample,
                self.engine.embedding_frames(inputs.shape[1], inputs.device))
        self.records.append(record)

    def _embedding_frames(self, record: FrameRecord) -> Optional[Tensor]:
        """Indices within the record of the frames that build the
        instance queries (all when None)."""
        if not self.needs_length:
            return None
        picked = self.engine.embedding_frames(self.video_length,
                                              record.references.device)
        if picked is None:
            return None
        start = record.first_frame
        inside = (picked >= start) & (picked < start + len(record))
        return picked[inside] - start

    @torch.no_grad()
    def select(self) -> VideoSelection:
        """Run the instance path and pick the top (query, class) pairs
        (once; after the last push)."""
        if self.selection is not None:
            return self.selection
        if self.num_frames == 0:
            raise ValueError('the video has no frames')
        if self.needs_length and self.video_length != self.num_frames:
            # The frames building the instance queries were picked by it.
            raise ValueError(f'expected {self.video_length} frames, got '
                             f'{self.num_frames}')
        if self.inst_queries is None:
            self.cls_scores, self.inst_queries = \
                self.engine.instance_queries(self.aggregations)
        self.selection = self.engine.select(self.cls_scores)
        return self.selection

    def flush(self) -> Iterator[FrameOutput]:
        """Every frame, rendered chunk by chunk as it is iterated."""
        selection = self.select()
        shown = torch.nonzero(
            selection.scores >= selection.score_thr).squeeze(1)
        ids = torch.arange(len(shown), device=shown.device)
        return (frame for first_frame, masks in self.masks()
                for frame in video_frame_instances(
                    masks[shown], selection.scores[shown],
                    selection.labels[shown], ids, first_frame, True))

    @torch.no_grad()
    def mask_logits(self) -> Iterator[Tuple[int, Tensor]]:
        """Stride-4 mask logits of the selected pairs, chunk by chunk.

        Yields:
            tuple[int, Tensor]: the chunk's first frame and (k, t, H/4, W/4)
            logits over the network input, one row per selected pair.
        """
        selection = self.select()
        for record in self.records:
            yield record.first_frame, self.engine.mask_logits(
                record, self.inst_queries, selection.queries)

    def masks(self, rescale: bool = True) -> Iterator[Tuple[int, Tensor]]:
        """Binary masks of the selected pairs, chunk by chunk.

        Yields:
            tuple[int, Tensor]: the chunk's first frame and (k, t, H, W)
            bool masks at the original frame size (``rescale``) or the
            network's input size.
        """
        for record in self.records:
            yield record.first_frame, self.engine.masks(
                record, self.inst_queries,
                self.select().queries, rescale)

    def video_results(self, rescale: bool = True) -> List[FrameOutput]:
        """Every frame with every kept pair (:meth:`VideoSelection.kept`),
        empty masks included, ids 0..k-1: the layout of
        :meth:`SeqFormer.predict` (the masks of all frames at once).
        """
        selection = self.select()
        masks = torch.cat([chunk for _, chunk in self.masks(rescale)], 1)
        keep = selection.kept(masks.flatten(1).any(1))
        return video_frame_instances(
            masks[keep], selection.scores[keep], selection.labels[keep],
            torch.arange(int(keep.sum()), device=keep.device), 0, False)


def _pick_frames(record: FrameRecord, frames: Tensor) -> FrameRecord:
    """The record's instance-path inputs of some of its frames."""
    return FrameRecord(
        first_frame=record.first_frame,
        inst_feats=record.inst_feats[:, frames],
        frame_logits=None
        if record.frame_logits is None else record.frame_logits[:, frames],
        references=record.references[frames],
        mask_feats=None)
