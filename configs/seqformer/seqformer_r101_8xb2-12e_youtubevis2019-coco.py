# SeqFormer R101 (joint COCO + YouTube-VIS 2019): only the backbone differs.
_base_ = ['../seqformer_r50.py']

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
