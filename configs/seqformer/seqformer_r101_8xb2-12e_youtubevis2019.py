# SeqFormer R101: only the backbone differs from R50.
_base_ = ['./seqformer_r50_8xb2-12e_youtubevis2019.py']

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
