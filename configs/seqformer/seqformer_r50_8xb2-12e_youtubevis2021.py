# SeqFormer R50 on YouTube-VIS 2021 (40 classes, its own class list).
_base_ = [
    '../_base_/models/seqformer_r50.py',
    '../_base_/datasets/youtube_vis_2021.py',
    '../_base_/schedules/seqformer_12e.py',
    '../_base_/seqformer_runtime.py',
]
