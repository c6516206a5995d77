# SeqFormer ResNeXt-101 32x8d (torchvision's resnext101_32x8d, as official);
# the official config uses 1 clip per GPU. Start: the official
# COCO-pretrained X101 (weights/x101_weight.pth of the official script),
# converted:
#   python tools/model_converters/seqformer_official_to_mmseqformer.py \
#       x101_weight.pth \
#       checkpoints/seqformer_x101-32x8d_coco-pretrained.pth \
#       --coco-pretrained --config THIS_CONFIG
# (docs/model_zoo.md gives the full commands.)
_base_ = ['../seqformer_r50.py']

load_from = 'checkpoints/seqformer_x101-32x8d_coco-pretrained.pth'

model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=32,
        base_width=8,
        init_cfg=dict(
            type='Pretrained', checkpoint='torchvision://resnext101_32x8d')))
train_dataloader = dict(batch_size=1, num_workers=1)
