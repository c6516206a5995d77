"""SeqFormer's one inference engine: frames in, instance queries and masks out.

With query decomposition the decoder's box path never reads the instance
query, and the instance path reads the frames only through each layer's
softmax-over-frames weighted sum (``docs/notes/official_behaviour.md``
§1.5). So inference splits into three steps that any set of frames can go
through:

1. :meth:`SeqFormerEngine.run_frames`: backbone, neck, encoder, the box path
   of every layer and the mask features of some frames, each frame on its
   own, kept as a :class:`FrameRecord`;
2. :meth:`SeqFormerEngine.instance_queries`: the instance path of every
   layer on the frames' aggregated features (:class:`FrameAggregation`,
   which adds frames chunk by chunk) and the class logits;
3. :meth:`SeqFormerEngine.masks`: the dynamic mask head for chosen queries
   on chosen frames.

The modes (``video_inference.py``) differ only in which frames they
aggregate and when they render: the whole video (the official result), a
growing prefix, a sliding window or clips.

Shape legend: ``t`` frames, ``num_layers`` decoder layers, ``Q`` queries, ``C``
embed_dims, ``K`` classes, ``D`` mask feature channels, ``h, w`` the
stride-8 size, ``n`` chosen queries.
"""
import contextlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.structures import TrackDataSample
from torch import Tensor, nn

from ..layers import FrameAggregation
from .video_postprocess import (VideoSelection, embedding_frames,
                                logits_to_masks, select_pairs, video_test_cfg)


@dataclass
class FrameRecord:
    """What the instance path and the masks need of ``t`` frames.

    Attributes:
        first_frame (int): Index of the first frame in the video.
        inst_feats (Tensor): (num_layers, t, Q, C) instance-path features.
        frame_logits (Tensor, optional): (num_layers, t, Q, 1) unnormalised
            frame weights (None unless the aggregation is weighted).
        references (Tensor): (t, Q, 4) the last layer's input boxes.
        mask_feats (Tensor, optional): (t, D, h, w) mask features (None
            once dropped).
        appearance_feats (Tensor, optional): (t, C, h, w) the encoder's
            stride-8 map, what the linked modes pool inside a mask to tell
            objects apart, in the network's dtype (None once dropped).
    """
    first_frame: int
    inst_feats: Optional[Tensor]
    frame_logits: Optional[Tensor]
    references: Tensor
    mask_feats: Optional[Tensor]
    appearance_feats: Optional[Tensor] = None

    def __len__(self) -> int:
        return len(self.references)

    def frames(self, start: int, stop: int) -> 'FrameRecord':
        """Frames ``start:stop`` of the record (indices within it)."""
        return FrameRecord(
            first_frame=self.first_frame + start,
            inst_feats=_slice(self.inst_feats, start, stop),
            frame_logits=_slice(self.frame_logits, start, stop),
            references=self.references[start:stop],
            mask_feats=None
            if self.mask_feats is None else self.mask_feats[start:stop],
            appearance_feats=None if self.appearance_feats is None else
            self.appearance_feats[start:stop])

    @staticmethod
    def cat(records: Sequence['FrameRecord']) -> 'FrameRecord':
        """Consecutive records as one."""
        return FrameRecord(
            first_frame=records[0].first_frame,
            inst_feats=_cat([r.inst_feats for r in records], 1),
            frame_logits=_cat([r.frame_logits for r in records], 1),
            references=torch.cat([r.references for r in records]),
            mask_feats=_cat([r.mask_feats for r in records], 0),
            appearance_feats=_cat([r.appearance_feats for r in records], 0))


def lift_precision(value: Optional[Tensor]) -> Optional[Tensor]:
    """float16/bfloat16 (mixed precision, ``model.half()``) to float32 for
    post-processing; float32 and float64 (``model.double()``) as they
    are."""
    if value is None or value.dtype not in (torch.float16, torch.bfloat16):
        return value
    return value.float()


def _slice(value: Optional[Tensor], start: int, stop: int) -> Optional[Tensor]:
    return None if value is None else value[:, start:stop]


def _cat(values: List[Optional[Tensor]], dim: int) -> Optional[Tensor]:
    return None if values[0] is None else torch.cat(values, dim)


class SeqFormerEngine:
    """The steps of SeqFormer inference, for frames given in any grouping.

    The network is anything with SeqFormer's three inference steps (the
    PyTorch :class:`SeqFormer`, or an exported model on ONNX Runtime):

    - ``frame_paths(inputs, data_sample) -> FrameRecord``: backbone, neck,
      encoder, every layer's box path, the mask features and the
      encoder's stride-8 map (``appearance_feats``) of t frames
      (``first_frame`` left at 0);
    - ``instance_path(aggregated) -> (cls_scores, inst_queries)``: the
      instance path of every layer from its (1, Q, C) aggregated features,
      the last layer's (Q, K) class logits and (Q, C) instance queries;
    - ``instance_masks(mask_feats, inst_queries, references, image_size)``:
      the dynamic mask head, (n, t, H/4, W/4) logits from (t, D, h, w) mask
      features, (n, C) instance queries, (t, n, 4) references and the
      input's (width, height);

    and, without query decomposition only, ``whole_video_paths(inputs,
    data_sample, embedding_frames) -> (cls_scores, inst_queries,
    FrameRecord)``. Aggregation over frames, selection and mask
    post-processing are the engine's, the same for every network.

    Args:
        network: The network, in eval mode.
        aggregations (Sequence[str]): Each decoder layer's aggregation over
            frames (``'weighted'``, ``'average'`` or ``'sum'``).
        test_cfg (dict): Inference settings
            (:data:`~.video_postprocess.VIDEO_TEST_CFG`).
        decomposed (bool): Whether the network has query decomposition (the
            box path never reads the instance query): without it only a
            whole video in one chunk can be run.
        amp (bool): Run the network under autocast (float16 on CUDA,
            bfloat16 on the CPU; the deformable sampling stays float32) and
            hand float32 outputs to everything after it. Without it the
            outputs keep the network's dtype (float64 after
            ``model.double()``).
    """

    def __init__(self,
                 network,
                 aggregations: Sequence[str],
                 test_cfg: Dict,
                 decomposed: bool = True,
                 amp: bool = False) -> None:
        self.network = network
        self.aggregations = list(aggregations)
        self.test_cfg = video_test_cfg(test_cfg)
        self.decomposed = decomposed
        self.amp = amp
        #: The network's floating type: what goes back into it is cast to
        #: this (``model.double()``, ``model.half()``) unless autocast runs.
        params = network.parameters() if isinstance(network, nn.Module) else ()
        self.dtype = next((p.dtype for p in params if p.is_floating_point()),
                          torch.float32)
        self.frame_meta: Optional[TrackDataSample] = None
        self.num_frames = 0

    def check_decomposed(self) -> None:
        if not self.decomposed:
            raise ValueError('this inference needs query decomposition (the '
                             'box path must not read the instance query); '
                             'run the whole video in one chunk')

    def check_frame_size(self, data_sample: TrackDataSample) -> None:
        """All frames of a video must have one size."""
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

    @torch.no_grad()
    def run_frames(self, inputs: Tensor,
                   data_sample: TrackDataSample) -> FrameRecord:
        """Encode the next frames and run every layer's box path on them.

        Args:
            inputs (Tensor): (1, t, 3, H, W) preprocessed frames, the size
                of every other frame of the video (not padded at test).
            data_sample (TrackDataSample): The t frames.

        Returns:
            FrameRecord: The frames' record.
        """
        self.check_decomposed()
        self.check_frame_size(data_sample)
        with self.autocast(inputs.device):
            record = self.network.frame_paths(inputs, data_sample)
        # The encoder map stays in the network's dtype: only the linked
        # modes read it, one frame at a time, and mask_pooled_appearance
        # lifts that frame's map (the offline mode would lift every
        # chunk's only to drop it).
        record = FrameRecord(
            self.num_frames,
            *[
                lift_precision(value)
                for value in (record.inst_feats, record.frame_logits,
                              record.references, record.mask_feats)
            ],
            appearance_feats=record.appearance_feats)
        self.num_frames += len(record)
        return record

    @torch.no_grad()
    def run_whole_video(
        self, inputs: Tensor, data_sample: TrackDataSample,
        embedding_frames: Optional[Tensor]
    ) -> Tuple[Tensor, Tensor, FrameRecord]:
        """The decoder's full forward on a whole video (models without
        query decomposition): class logits (Q, K), instance queries
        (Q, C) and the record of the frames (no instance-path inputs)."""
        self.check_frame_size(data_sample)
        with self.autocast(inputs.device):
            cls_scores, inst_queries, record = \
                self.network.whole_video_paths(inputs, data_sample,
                                               embedding_frames)
        self.num_frames = len(record)
        return (lift_precision(cls_scores), lift_precision(inst_queries),
                FrameRecord(0, None, None, lift_precision(record.references),
                            lift_precision(record.mask_feats)))

    def new_aggregations(self) -> List[FrameAggregation]:
        """One empty aggregation per decoder layer."""
        return [FrameAggregation(mode) for mode in self.aggregations]

    @staticmethod
    def aggregate(aggregations: List[FrameAggregation],
                  record: FrameRecord) -> List[FrameAggregation]:
        """Add the record's frames to every layer's aggregation."""
        for layer, aggregation in enumerate(aggregations):
            aggregation.update(
                record.inst_feats[layer][None],
                None if record.frame_logits is None else
                record.frame_logits[layer][None])
        return aggregations

    @torch.no_grad()
    def instance_queries(
            self,
            aggregations: List[FrameAggregation]) -> Tuple[Tensor, Tensor]:
        """The instance path of every layer on the aggregated frames.

        Returns:
            tuple[Tensor, Tensor]: the last layer's class logits (Q, K) and
            instance queries (Q, C).
        """
        aggregated = [
            self.to_network(aggregation.result())
            for aggregation in aggregations
        ]
        with self.autocast(aggregated[0].device):
            cls_scores, inst_queries = self.network.instance_path(aggregated)
        return lift_precision(cls_scores), lift_precision(inst_queries)

    def select(self, cls_scores: Tensor) -> VideoSelection:
        """The video's top (query, class) pairs (``max_per_video``)."""
        return select_pairs(cls_scores, self.test_cfg['max_per_video'],
                            self.test_cfg['score_thr'])

    def embedding_frames(self, num_frames: int,
                         device: torch.device) -> Optional[Tensor]:
        """The frames of a ``num_frames`` video that build the instance
        queries (``test_cfg['embedding_frames']``); None for all."""
        return embedding_frames(self.test_cfg['embedding_frames'], num_frames,
                                device)

    @torch.no_grad()
    def mask_logits(self, record: FrameRecord, inst_queries: Tensor,
                    queries: Tensor) -> Tensor:
        """Stride-4 mask logits of some queries on the record's frames.

        Args:
            record (FrameRecord): Frames with their mask features.
            inst_queries (Tensor): (Q, C) instance queries.
            queries (Tensor): (n, ) query indices, repeats allowed (each
                query is rendered once).

        Returns:
            Tensor: (n, t, H/4, W/4) logits over the network input.
        """
        unique_queries, inverse = queries.unique(return_inverse=True)
        img_h, img_w = self.frame_meta[0].img_shape
        with self.autocast(inst_queries.device):
            logits = self.network.instance_masks(
                self.to_network(record.mask_feats),
                self.to_network(inst_queries[unique_queries]),
                self.to_network(record.references[:, unique_queries]),
                (img_w, img_h))
        return lift_precision(logits)[inverse]

    def to_network(self, value: Tensor) -> Tensor:
        """``value`` (post-processing's float32 or wider) in the network's
        dtype; under autocast as it is (autocast casts what it needs)."""
        return value if self.amp else value.to(self.dtype)

    def autocast(self, device: torch.device):
        """Autocast for the network when ``amp`` is on (float16 on CUDA,
        bfloat16 elsewhere)."""
        if not self.amp:
            return contextlib.nullcontext()
        dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
        return torch.autocast(device.type, dtype=dtype)

    def masks(self,
              record: FrameRecord,
              inst_queries: Tensor,
              queries: Tensor,
              rescale: bool = True) -> Tensor:
        """(n, t, H, W) bool masks of some queries on the record's frames,
        at the original frame size (``rescale``) or the input size."""
        return self.logits_to_masks(
            self.mask_logits(record, inst_queries, queries), rescale)

    def logits_to_masks(self, logits: Tensor, rescale: bool = True) -> Tensor:
        """(n, t, H, W) bool masks from :meth:`mask_logits`' (n, t, H/4,
        W/4) logits (see :meth:`masks`)."""
        return logits_to_masks(logits, self.frame_meta, rescale,
                               self.test_cfg['mask_thr'])
