"""SeqFormer: Sequential Transformer for Video Instance Segmentation.

Wu et al., ECCV 2022 (arXiv 2112.08275); official code wjf5203/SeqFormer
(MIT). Every frame goes through backbone, neck and deformable encoder on its
own (frames folded into the batch); the head's decoder then builds one
instance query per object from all frames.

Shape legend: ``bs`` clips, ``T`` frames, ``C`` embed_dims, ``V`` = sum of
H_l * W_l of one frame.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import DeformableDETR
from mmdet.models.layers import SinePositionalEncoding
from mmdet.models.mot import BaseMOTModel
from mmdet.registry import MODELS
from mmdet.structures import TrackSampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from ...ops.backend import CPU_INFERENCE, TRACE, execution_backend
from ...ops.traceable_sampling import unflatten_levels_traceable
from ..layers import FrameFoldedEncoder
from ..utils import EncodedFrames
from .offline_inference import OfflineVideoInference
from .video_engine import FrameRecord, SeqFormerEngine


@MODELS.register_module()
class SeqFormer(BaseMOTModel):
    """SeqFormer video instance segmentation model.

    Args:
        backbone (dict): mmdet backbone config (C3-C5 outputs).
        neck (dict): ``ChannelMapper`` config producing the 4 levels (the
            4th from raw C5 with a 3x3 stride-2 conv, as official).
        encoder (dict): Deformable encoder config.
        positional_encoding (dict): ``SinePositionalEncoding`` config.
        track_head (dict): :class:`SeqFormerHead` config.
        num_feature_levels (int): L, levels seen by the transformer.
            Defaults to 4.
        transformer_levels (Sequence[int], optional): Which neck levels
            (0-3: strides 8-64) the transformer sees; all by default. With
            ``[2]`` the encoder and decoder are single-scale (paper Table 4;
            set ``num_levels=1`` in their attention configs too) and the mask
            branch takes the other stride 8/16 maps straight from the neck.
        data_preprocessor (dict): ``TrackDataPreprocessor`` config.
    """

    #: Inference on the CPU feeds the backbone channels-last frames.
    channels_last_frames = True

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 encoder: ConfigType,
                 track_head: ConfigType,
                 positional_encoding: ConfigType = dict(
                     num_feats=128, normalize=True, offset=-0.5, eps=1e-6),
                 num_feature_levels: int = 4,
                 transformer_levels: Optional[Sequence[int]] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super(BaseMOTModel, self).__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.encoder = FrameFoldedEncoder(**encoder)
        self.positional_encoding = SinePositionalEncoding(
            **positional_encoding)
        embed_dims = self.encoder.embed_dims
        self.transformer_levels = list(
            transformer_levels or range(num_feature_levels))
        if len(self.transformer_levels) != num_feature_levels:
            raise ValueError(
                f'transformer_levels {self.transformer_levels} must have '
                f'num_feature_levels ({num_feature_levels}) entries')
        # Zeros until init_weights() draws it: a model used without
        # init_weights() or a checkpoint must not hold uninitialised memory
        # (it can be NaN and poisons every sampling location). Zeros draw
        # nothing from the random stream, so initialisation is unchanged.
        self.level_embed = nn.Parameter(
            torch.zeros(num_feature_levels, embed_dims))
        self.track_head = MODELS.build(track_head)

    def init_weights(self) -> None:
        """Official transformer init: xavier for every matrix of encoder and
        decoder, then the deformable-attention resets, normal level
        embeddings."""
        super().init_weights()
        for module in (self.encoder, self.track_head.decoder):
            for param in module.parameters():
                if param.dim() > 1:
                    nn.init.xavier_uniform_(param)
        for module in self.modules():
            if hasattr(module, 'sampling_offsets'):
                module.init_weights()
        nn.init.normal_(self.level_embed)
        self.track_head.init_weights()

    #: Frames per backbone batch at CPU inference (see frame_features).
    cpu_backbone_frames = 4

    def frame_features(self, frames: Tensor) -> Tuple[Tensor, ...]:
        """The neck's multi-level maps of every frame.

        At CPU inference the backbone and neck take at most
        :attr:`cpu_backbone_frames` frames at a time: the same values, bit
        for bit (neither mixes batch entries; the neck's GroupNorm is per
        frame), but a whole video's stride-4 maps (15 MB per 360p frame
        and layer) are not allocated, and faulted in, all at once. Four
        frames per batch was faster than one.

        Args:
            frames (Tensor): (N, C_in, H, W).

        Returns:
            tuple[Tensor]: the neck's (N, C, H_l, W_l) maps.
        """
        batch = self.cpu_backbone_frames
        if frames.shape[0] <= batch or \
                execution_backend(frames) != CPU_INFERENCE:
            return tuple(self.neck(self.backbone(frames)))
        groups = [
            self.neck(self.backbone(group)) for group in frames.split(batch)
        ]
        return tuple(torch.cat(level) for level in zip(*groups))

    def encode(self, inputs: Tensor,
               data_samples: TrackSampleList) -> EncodedFrames:
        """Encode every frame on its own.

        Args:
            inputs (Tensor): (bs, T, C_in, H, W) normalised, padded frames.
            data_samples (list[TrackDataSample]): bs clips of T frames.

        Returns:
            EncodedFrames: the memory of every frame, and as
            ``mask_inputs`` the stride 8/16/32 maps for the mask branch,
            encoded where the transformer saw the level.
        """
        assert inputs.dim() == 5, 'The inputs must be 5D (bs, T, C, H, W).'
        # (bs, T, C_in, H, W) -> (bs * T, C_in, H, W), clip-major.
        frames = inputs.flatten(0, 1)
        if self.channels_last_frames and \
                execution_backend(frames) == CPU_INFERENCE:
            # oneDNN's CPU convolutions run about 1.15x faster on
            # channels-last frames (same values up to float rounding);
            # training and CUDA keep the layout they had.
            frames = frames.contiguous(memory_format=torch.channels_last)
        frame_samples = [frame for sample in data_samples for frame in sample]
        mlvl_feats = self.frame_features(frames)
        # mmdet's Deformable DETR builds padding masks, positional encodings
        # and the flattened multi-level input exactly as SeqFormer does.
        encoder_inputs, _ = DeformableDETR.pre_transformer(
            self, [mlvl_feats[i] for i in self.transformer_levels],
            frame_samples)
        memory = self.encoder(
            query=encoder_inputs['feat'],
            query_pos=encoder_inputs['feat_pos'],
            key_padding_mask=encoder_inputs['feat_mask'],
            spatial_shapes=encoder_inputs['spatial_shapes'],
            level_start_index=encoder_inputs['level_start_index'],
            valid_ratios=encoder_inputs['valid_ratios'])
        memory_maps = dict(
            zip(self.transformer_levels,
                unflatten_levels(memory, encoder_inputs['spatial_shapes'])))
        return EncodedFrames(
            memory=memory,
            memory_mask=encoder_inputs['feat_mask'],
            spatial_shapes=encoder_inputs['spatial_shapes'],
            level_start_index=encoder_inputs['level_start_index'],
            valid_ratios=encoder_inputs['valid_ratios'],
            mask_inputs=[memory_maps.get(i, mlvl_feats[i]) for i in range(3)],
            num_clips=inputs.shape[0],
            num_frames=inputs.shape[1])

    @staticmethod
    def get_valid_ratio(mask: Tensor) -> Tensor:
        """Valid (w, h) fraction of a padded level; used by
        ``pre_transformer``."""
        return DeformableDETR.get_valid_ratio(mask)

    def loss(self, inputs: Tensor, data_samples: TrackSampleList,
             **kwargs) -> Dict[str, Tensor]:
        """Losses of a batch of clips (all with the same T)."""
        return self.track_head.loss(
            self.encode(inputs, data_samples), data_samples)

    def predict(self,
                inputs: Tensor,
                data_samples: TrackSampleList,
                rescale: bool = True,
                **kwargs) -> TrackSampleList:
        """Segment and track the instances of one whole video: the
        inference engine fed the video as one chunk.

        Args:
            inputs (Tensor): (1, T, C_in, H, W).
            data_samples (list[TrackDataSample]): One video.
            rescale (bool): Masks at the original frame size.

        Returns:
            list[TrackDataSample]: The video, each frame with
            ``pred_track_instances``.
        """
        assert inputs.shape[0] == 1, 'SeqFormer predicts one video at a time'
        sample = data_samples[0]
        video = OfflineVideoInference(
            self,
            num_frames=len(sample),
            chunk_size=None,
            amp=self.track_head.test_cfg['amp'])
        video.push(inputs, sample)
        for frame, instances in video.video_results(rescale):
            sample[frame].pred_track_instances = instances
        return [sample]

    # The network steps of video inference (:class:`SeqFormerEngine`).

    def inference_engine(self, amp: bool = False) -> SeqFormerEngine:
        """A new inference engine on this model (one per video)."""
        head = self.track_head
        return SeqFormerEngine(self, head.decoder.aggregations, head.test_cfg,
                               head.decoder.query_decompose, amp)

    def frame_paths(self, inputs: Tensor, data_sample) -> FrameRecord:
        """Backbone, neck, encoder, every layer's box path and the mask
        features of the t frames of ``inputs`` (1, t, C_in, H, W)."""
        encoded = self.encode(inputs, [data_sample])
        paths = self.track_head.box_path(encoded)
        logits = paths.frame_logits
        return FrameRecord(
            first_frame=0,
            inst_feats=torch.stack([feats[0] for feats in paths.inst_feats]),
            frame_logits=None if logits[0] is None else torch.stack(
                [layer_logits[0] for layer_logits in logits]),
            references=paths.references[0],
            mask_feats=self.track_head.mask_features(encoded),
            appearance_feats=encoded.mask_inputs[0])

    def instance_path(self, aggregated: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """Every layer's instance path from its (1, Q, C) aggregated frame
        features: the last layer's class logits (Q, K) and instance queries
        (Q, C)."""
        cls_scores, inst_queries = self.track_head.instance_path(aggregated)
        return cls_scores[-1][0], inst_queries[-1][0]

    def instance_masks(self, mask_feats: Tensor, inst_queries: Tensor,
                       references: Tensor, image_size: Tuple[int,
                                                             int]) -> Tensor:
        """(n, t, H/4, W/4) mask logits of n queries on t frames
        (:meth:`SeqFormerHead.instance_masks`)."""
        return self.track_head.instance_masks(mask_feats, inst_queries,
                                              references, image_size)

    def whole_video_paths(
        self, inputs: Tensor, data_sample, embedding_frames: Optional[Tensor]
    ) -> Tuple[Tensor, Tensor, FrameRecord]:
        """The decoder's full forward on a whole video (the only way
        without query decomposition): the last layer's class logits
        (Q, K), instance queries (Q, C) and the frames' record (references
        and mask features only)."""
        encoded = self.encode(inputs, [data_sample])
        head = self.track_head
        cls_scores, _, inst_queries, references = head(encoded,
                                                       embedding_frames)
        return cls_scores[-1][0], inst_queries[-1][0], FrameRecord(
            first_frame=0,
            inst_feats=None,
            frame_logits=None,
            references=references[-1][0],
            mask_feats=head.mask_features(encoded))

    def _forward(self, inputs: Tensor, data_samples: TrackSampleList,
                 **kwargs) -> Dict[str, List]:
        """Raw head outputs (``mode='tensor'``).

        Returns:
            dict: per decoder layer, ``cls_scores`` (bs, Q, K) logits and
            ``boxes`` (bs, T, Q, 4) normalised (cx, cy, w, h); and
            ``mask_logits`` (bs, Q, T, H/4, W/4) of the last layer.
        """
        encoded = self.encode(inputs, data_samples)
        head = self.track_head
        cls_scores, boxes, inst_queries, references = head(encoded)
        mask_feats = head.mask_features(encoded)
        mask_feats = mask_feats.view(encoded.num_clips, encoded.num_frames,
                                     *mask_feats.shape[1:])
        mask_logits = []
        for b, sample in enumerate(data_samples):
            img_h, img_w = sample[0].img_shape
            mask_logits.append(
                head.instance_masks(mask_feats[b], inst_queries[-1][b],
                                    references[-1][b], (img_w, img_h)))
        return dict(
            cls_scores=cls_scores,
            boxes=boxes,
            mask_logits=torch.stack(mask_logits))


def unflatten_levels(memory: Tensor, spatial_shapes: Tensor) -> List[Tensor]:
    """Split (B, V, C) flattened levels into (B, C, H_l, W_l) maps."""
    if execution_backend(memory) == TRACE:  # ONNX: symbolic level sizes
        return unflatten_levels_traceable(memory, spatial_shapes)
    sizes = spatial_shapes.prod(1).tolist()
    return [
        # (B, H_l * W_l, C) -> (B, C, H_l, W_l)
        level.transpose(1, 2).reshape(memory.shape[0], -1, int(h), int(w))
        for level, (
            h, w) in zip(memory.split(sizes, dim=1), spatial_shapes.tolist())
    ]
