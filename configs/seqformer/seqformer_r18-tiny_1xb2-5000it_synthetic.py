# Tiny SeqFormer trained from scratch on the synthetic set on a 2-core CPU:
# the model of `make demo`. Same architecture as the paper, shrunk: ResNet-18
# at 1/4 width, 64 channels, 4 heads, 2 encoder and 3 decoder layers,
# 10 queries, 5-frame clips of ~112 px. 5000 iterations on the 600 training
# videos take about 30 minutes on a 2-core CPU (`make demo`,
# docs/benchmarks.md).
# NOTE: trained from scratch, so BN is trained (the official backbone is
# pretrained with frozen BN and frozen first stage).
# The deformable attentions train with the gather sampler (the default of
# mmseqformer's attentions: the values of mmcv's grid_sample path up to
# float rounding, faster on the CPU).
_base_ = [
    '../_base_/models/seqformer_r50.py',
    '../_base_/datasets/synthetic_vis.py',
    '../_base_/seqformer_runtime.py',
]

embed_dims = 64
model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[32, 64, 128],
        out_channels=embed_dims,
        norm_cfg=dict(type='GN', num_groups=8)),
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=embed_dims, num_heads=4, dropout=0.0),
            ffn_cfg=dict(
                embed_dims=embed_dims,
                feedforward_channels=4 * embed_dims,
                ffn_drop=0.0))),
    positional_encoding=dict(num_feats=embed_dims // 2),
    track_head=dict(
        num_classes=3,
        embed_dims=embed_dims,
        num_queries=10,
        decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=embed_dims,
                    num_heads=4,
                    attn_drop=0.0,
                    proj_drop=0.0),
                cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
                ffn_cfg=dict(
                    embed_dims=embed_dims,
                    feedforward_channels=4 * embed_dims,
                    ffn_drop=0.0),
                dropout=0.0)),
        mask_branch=dict(mid_channels=32, out_channels=8)))

train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1),
        }))
max_iters = 5000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[4250],
        gamma=0.1),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
# Validation leaves the training's random stream as it was (the weights do
# not depend on the validation interval).
val_cfg = dict(type='RandomStatePreservingValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=2,
        save_last=True),
    visualization=dict(type='TrackVisualizationHook', draw=False))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
randomness = dict(seed=0)
