"""Deformable DETR encoder run on frames folded into the batch."""
import torch
from mmdet.models.layers.transformer import (
    DeformableDetrTransformerEncoder, DeformableDetrTransformerEncoderLayer)
from mmengine.model import ModuleList
from torch import Tensor

from ...ops.backend import CPU_INFERENCE, execution_backend
from ...ops.cpu_fused_ffn import CPUFusedFFN
from ...ops.traceable_sampling import encoder_reference_points_traceable
from .msda import FrameFoldedMSDA


class FrameFoldedEncoderLayer(DeformableDetrTransformerEncoderLayer):
    """mmdet's encoder layer with :class:`FrameFoldedMSDA` attention and
    :class:`CPUFusedFFN` (mmcv's FFN, fused at CPU inference).

    NOTE: the official encoder's attention also owns an ``output_proj_box``
    that it never uses; it has no counterpart here (the converter drops it).
    """

    def _init_layers(self) -> None:
        # mmdet builds mmcv's attention first (which knows no
        # training_sampler); replacing it keeps the seeded initialisation.
        attn_cfg = dict(self.self_attn_cfg)
        sampler = attn_cfg.pop('training_sampler', 'gather')
        self.self_attn_cfg = attn_cfg
        super()._init_layers()
        self.self_attn = FrameFoldedMSDA(
            training_sampler=sampler, **self.self_attn_cfg)
        # The FFN mmdet built, in the fused class; built without drawing
        # from the random generator, so a seeded model initialises as
        # before this class existed.
        with torch.random.fork_rng(devices=[]):
            ffn = CPUFusedFFN(**self.ffn_cfg)
        ffn.load_state_dict(self.ffn.state_dict())
        self.ffn = ffn


class FrameFoldedEncoder(DeformableDetrTransformerEncoder):
    """mmdet's Deformable DETR encoder; every batch entry is one frame, so
    frames never exchange information (docs/notes/official_behaviour.md
    §1.4).

    At CPU inference the frames go through the layers one at a time: the
    same values, bit for bit (no operator mixes batch entries), but one
    frame's activations (about 5 MB per 360p map, 20 MB for the FFN's
    hidden layer) stay in the cache from one operator to the next and
    reuse the allocator's free memory, where four frames' maps go to
    memory and fresh pages (docs/benchmarks.md).
    """

    #: mmdet's reference points (the pixel centres of every level), written
    #: so that they also export to ONNX (the same values).
    get_encoder_reference_points = staticmethod(
        encoder_reference_points_traceable)

    def forward(self, query: Tensor, query_pos: Tensor,
                key_padding_mask: Tensor, spatial_shapes: Tensor,
                level_start_index: Tensor, valid_ratios: Tensor,
                **kwargs) -> Tensor:
        """mmdet's encoder (the arguments are its own).

        Args:
            query, query_pos (Tensor): (B, V, C) flattened maps of B frames
                and their positional encodings.
            key_padding_mask (Tensor): (B, V), True where padded.
            spatial_shapes (Tensor): (L, 2) level sizes (h, w).
            level_start_index (Tensor): (L, ) start of each level in ``V``.
            valid_ratios (Tensor): (B, L, 2).

        Returns:
            Tensor: (B, V, C) the memory.
        """
        run = super().forward
        if query.shape[0] == 1 or \
                execution_backend(query) != CPU_INFERENCE:
            return run(query, query_pos, key_padding_mask, spatial_shapes,
                       level_start_index, valid_ratios, **kwargs)
        memory = None
        for frame in range(query.shape[0]):
            one = slice(frame, frame + 1)
            out = run(
                query[one], query_pos[one],
                None if key_padding_mask is None else key_padding_mask[one],
                spatial_shapes, level_start_index, valid_ratios[one], **kwargs)
            if memory is None:  # the layers' dtype (autocast may change it)
                memory = out.new_empty((query.shape[0], ) + out.shape[1:])
            memory[one] = out
        return memory

    def _init_layers(self) -> None:
        self.layers = ModuleList([
            FrameFoldedEncoderLayer(**self.layer_cfg)
            for _ in range(self.num_layers)
        ])
        self.embed_dims = self.layers[0].embed_dims
