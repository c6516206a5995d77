# SeqFormer R50 trained on YouTube-VIS 2019 only: the paper's 45.1 AP ablation
# setting (r50_seqformer_ablation.sh: lr steps after epochs 2 and 10).
# Start from the official COCO-pretrained SeqFormer, converted with
# tools/model_converters (set load_from to the converted file).
_base_ = [
    '../_base_/models/seqformer_r50.py',
    '../_base_/datasets/youtube_vis_2019.py',
    '../_base_/schedules/seqformer_12e.py',
    '../_base_/seqformer_runtime.py',
]

param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True,
         milestones=[2, 10], gamma=0.1)
]
