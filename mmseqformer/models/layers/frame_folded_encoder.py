"""Deformable DETR encoder run on frames folded into the batch."""
import torch
from mmdet.models.layers.transformer import (
    DeformableDetrTransformerEncoder, DeformableDetrTransformerEncoderLayer)
from mmengine.model import ModuleList

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
    §1.4)."""

    #: mmdet's reference points (the pixel centres of every level), written
    #: so that they also export to ONNX (the same values).
    get_encoder_reference_points = staticmethod(
        encoder_reference_points_traceable)

    def _init_layers(self) -> None:
        self.layers = ModuleList([
            FrameFoldedEncoderLayer(**self.layer_cfg)
            for _ in range(self.num_layers)
        ])
        self.embed_dims = self.layers[0].embed_dims
