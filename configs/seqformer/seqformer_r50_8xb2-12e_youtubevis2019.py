# SeqFormer R50 trained on YouTube-VIS 2019 only: the paper's 45.1 AP ablation
# setting (r50_seqformer_ablation.sh: lr steps after epochs 2 and 10).
# It starts, as the official script does, from the same COCO-pretrained
# SeqFormer R50 as configs/seqformer_r50.py (weights/r50_weight.pth):
#   python tools/model_converters/seqformer_official_to_mmseqformer.py \
#       r50_weight.pth checkpoints/seqformer_r50_coco-pretrained.pth \
#       --coco-pretrained --config THIS_CONFIG
# (docs/model_zoo.md gives the full commands.)
_base_ = [
    '../_base_/models/seqformer_r50.py',
    '../_base_/datasets/youtube_vis_2019.py',
    '../_base_/schedules/seqformer_12e.py',
    '../_base_/seqformer_runtime.py',
]

load_from = 'checkpoints/seqformer_r50_coco-pretrained.pth'

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[2, 10],
        gamma=0.1)
]
