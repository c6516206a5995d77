# SeqFormer Swin-L (p4, window 12, 384 px pretraining), as official: nothing
# frozen, drop path 0.3, outputs of stages 2-4 (384/768/1536 channels),
# 1 clip per GPU on 16 GPUs. Weight decay applies to every parameter
# (official), so no norm/position-table exemptions. Start: the official
# COCO-pretrained Swin-L (weights/swinL_weight.pth of the official script),
# converted (the backbone has no ImageNet init_cfg here: without load_from
# it would start from random weights):
#   python tools/model_converters/seqformer_official_to_mmseqformer.py \
#       swinL_weight.pth \
#       checkpoints/seqformer_swin-l-p4-w12-384_coco-pretrained.pth \
#       --coco-pretrained --config THIS_CONFIG
# (docs/model_zoo.md gives the full commands.)
_base_ = ['../seqformer_r50.py']

load_from = 'checkpoints/seqformer_swin-l-p4-w12-384_coco-pretrained.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        pretrain_img_size=384,
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=12,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(1, 2, 3),
        with_cp=False,
        convert_weights=True,
        frozen_stages=-1,
        init_cfg=None),
    neck=dict(in_channels=[384, 768, 1536]))
train_dataloader = dict(batch_size=1, num_workers=1)
