# SeqFormer R50, the paper's main setting (47.4 AP on YouTube-VIS 2019 val):
# YouTube-VIS 2019 and COCO pseudo clips trained jointly for 12 epochs (lr
# steps after epochs 4 and 10), T = 5, starting from the official
# COCO-pretrained SeqFormer R50 (the "Pretrain" weight of the official
# README; its training script calls it weights/r50_weight.pth). The
# COCO-pretrained files lack the temporal weight layers and have no class
# heads we use: those keep their initialisation, as official.
#   python tools/model_converters/seqformer_official_to_mmseqformer.py \
#       r50_weight.pth checkpoints/seqformer_r50_coco-pretrained.pth \
#       --config configs/seqformer_r50.py --coco-pretrained
#   bash tools/dist_train.sh configs/seqformer_r50.py 8
# (docs/model_zoo.md; `--cfg-options load_from=None` starts from the
# ImageNet backbone only.)
_base_ = [
    '_base_/models/seqformer_r50.py',
    '_base_/datasets/youtube_vis_2019_coco_joint.py',
    '_base_/schedules/seqformer_12e.py',
    '_base_/seqformer_runtime.py',
]

load_from = 'checkpoints/seqformer_r50_coco-pretrained.pth'
