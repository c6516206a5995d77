# SeqFormer ResNeXt-101 32x8d (torchvision's resnext101_32x8d, as official);
# the official config uses 1 clip per GPU.
_base_ = ['../seqformer_r50.py']

model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=32,
        base_width=8,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnext101_32x8d')))
train_dataloader = dict(batch_size=1, num_workers=1)
