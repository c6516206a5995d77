# SeqFormer R101 (joint COCO + YouTube-VIS 2019): only the backbone and the
# starting weights differ. Start: the official COCO-pretrained R101
# (weights/r101_weight.pth of the official script), converted:
#   python tools/model_converters/seqformer_official_to_mmseqformer.py \
#       r101_weight.pth checkpoints/seqformer_r101_coco-pretrained.pth \
#       --coco-pretrained --config THIS_CONFIG
# (docs/model_zoo.md gives the full commands.)
_base_ = ['../seqformer_r50.py']

load_from = 'checkpoints/seqformer_r101_coco-pretrained.pth'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
