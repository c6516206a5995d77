"""A SeqFormer small enough for unit tests on a CPU (about a second)."""
import copy

#: embed_dims 32, 2 heads, 4 levels, 2 points, 1 encoder and 2 decoder
#: layers, 5 queries, 3 classes, 4 dynamic mask channels; ResNet-18 at a
#: quarter width with the official freezing (stem + stage 1, frozen BN).
TINY_SEQFORMER = dict(
    type='SeqFormer',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        # Frozen BN from scratch: a zero-initialised last BN would keep the
        # residual branches dead forever.
        zero_init_residual=False,
        init_cfg=None),
    neck=dict(
        type='ChannelMapper',
        in_channels=[32, 64, 128],
        kernel_size=1,
        out_channels=32,
        act_cfg=None,
        bias=True,
        norm_cfg=dict(type='GN', num_groups=8),
        num_outs=4),
    encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=32,
                num_heads=2,
                num_levels=4,
                num_points=2,
                dropout=0.0),
            ffn_cfg=dict(embed_dims=32, feedforward_channels=64,
                         ffn_drop=0.0))),
    positional_encoding=dict(
        num_feats=16, normalize=True, offset=-0.5, eps=1e-6),
    track_head=dict(
        type='SeqFormerHead',
        num_classes=3,
        embed_dims=32,
        num_queries=5,
        decoder=dict(
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=32,
                    num_heads=2,
                    attn_drop=0.0,
                    proj_drop=0.0,
                    batch_first=True),
                cross_attn_cfg=dict(
                    embed_dims=32, num_heads=2, num_levels=4, num_points=2),
                ffn_cfg=dict(
                    embed_dims=32, feedforward_channels=64, ffn_drop=0.0),
                dropout=0.0)),
        mask_branch=dict(mid_channels=16, out_channels=4),
        mask_head=dict(feat_channels=4)))


def tiny_seqformer_cfg(**head_overrides) -> dict:
    """A deep copy of :data:`TINY_SEQFORMER`, with head keys overridden."""
    cfg = copy.deepcopy(TINY_SEQFORMER)
    cfg['track_head'].update(head_overrides)
    return cfg
