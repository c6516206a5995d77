# SeqFormer R50, the paper's main setting (47.4 AP on YouTube-VIS 2019 val):
# YouTube-VIS 2019 and COCO pseudo clips trained jointly for 12 epochs (lr
# steps after epochs 4 and 10), T = 5, starting from the official
# COCO-pretrained SeqFormer (convert it with tools/model_converters and set
# load_from; the COCO-pretrained files lack the temporal weight layers,
# which then keep their initialisation, as official).
#   python tools/train.py configs/seqformer_r50.py
_base_ = [
    '_base_/models/seqformer_r50.py',
    '_base_/datasets/youtube_vis_2019_coco_joint.py',
    '_base_/schedules/seqformer_12e.py',
    '_base_/seqformer_runtime.py',
]
