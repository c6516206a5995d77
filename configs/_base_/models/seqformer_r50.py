# SeqFormer with ResNet-50, as the official code
# (docs/notes/official_behaviour.md §1, §6): 300 queries, 6 + 6 layers,
# 256 channels, 8 heads, 4 levels, 4 points, FFN 1024, dropout 0.1, box
# refinement, dynamic masks with 8 channels.
num_classes = 40
num_queries = 300
embed_dims = 256
model = dict(
    type='SeqFormer',
    data_preprocessor=dict(
        # Training clips padded to 32 (official collate); test videos not
        # padded (official inference.py).
        type='SeqFormerDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32,
        test_pad_size_divisor=1),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),  # C3, C4, C5
        frozen_stages=1,  # stem + layer1, as official
        norm_cfg=dict(type='BN', requires_grad=False),  # frozen BN
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='ChannelMapper',  # 1x1 conv + GN per level, 3x3/2 on raw C5
        in_channels=[512, 1024, 2048],
        kernel_size=1,
        out_channels=embed_dims,
        act_cfg=None,
        bias=True,
        norm_cfg=dict(type='GN', num_groups=32),
        num_outs=4),
    encoder=dict(  # FrameFoldedEncoder
        num_layers=6,
        layer_cfg=dict(  # DeformableDetrTransformerEncoderLayer
            self_attn_cfg=dict(  # FrameFoldedMSDA
                embed_dims=embed_dims,
                num_heads=8,
                num_levels=4,
                num_points=4,
                dropout=0.1),
            ffn_cfg=dict(
                embed_dims=embed_dims, feedforward_channels=1024,
                ffn_drop=0.1))),
    positional_encoding=dict(
        num_feats=embed_dims // 2, normalize=True, offset=-0.5, eps=1e-6),
    track_head=dict(
        type='SeqFormerHead',
        num_classes=num_classes,
        embed_dims=embed_dims,
        num_queries=num_queries,
        decoder=dict(  # SeqFormerDecoder
            num_layers=6,
            layer_cfg=dict(  # SeqFormerDecoderLayer
                self_attn_cfg=dict(  # MultiheadAttention (both paths)
                    embed_dims=embed_dims,
                    num_heads=8,
                    attn_drop=0.1,
                    proj_drop=0.1,
                    batch_first=True),
                cross_attn_cfg=dict(  # DualProjectionMSDA
                    embed_dims=embed_dims,
                    num_heads=8,
                    num_levels=4,
                    num_points=4),
                ffn_cfg=dict(
                    embed_dims=embed_dims,
                    feedforward_channels=1024,
                    ffn_drop=0.1),
                dropout=0.1,
                aggregation='weighted',
                query_decompose=True)),
        mask_branch=dict(mid_channels=64, out_channels=8),  # MaskBranch
        mask_head=dict(  # DynamicMaskHead
            feat_channels=8,
            num_layers=3,
            rel_coord=True,
            feat_stride=8,
            out_stride=4),
        criterion=dict(type='VideoSetCriterion'),  # official costs/losses
        test_cfg=dict(max_per_video=10, mask_thr=0.5, score_thr=0.001)))
