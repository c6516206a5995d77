# SeqFormer R50 on OVIS (25 classes).
_base_ = [
    '../_base_/models/seqformer_r50.py',
    '../_base_/datasets/ovis.py',
    '../_base_/schedules/seqformer_12e.py',
    '../_base_/seqformer_runtime.py',
]

model = dict(track_head=dict(num_classes=25))
