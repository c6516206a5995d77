# Template: fine-tune the official SeqFormer R50 on your own classes
# (docs/user_guides/finetune.md). Copy this file, then change the three
# marked places: data root, classes, starting weights.
#
# Training starts from the converted official weights with every layer
# loaded except the class heads (one row per class, so they cannot carry
# over to other classes): those keep their initialisation. The log lists
# the re-initialised keys with their shapes in the checkpoint and in the
# model and counts the loaded ones; any other key that does not fit stops
# training with the key named.
#   python tools/train.py MY_COPY_OF_THIS_CONFIG.py
#   bash tools/dist_train.sh MY_COPY_OF_THIS_CONFIG.py 8
_base_ = [
    '../_base_/models/seqformer_r50.py',
    '../_base_/datasets/youtube_vis_2019.py',
    '../_base_/schedules/seqformer_12e.py',
    '../_base_/seqformer_runtime.py',
]

# (1) Your data, in the YouTube-VIS format (official or CocoVID layout;
# docs/user_guides/your_own_data.md converts other formats):
#   data/my_vis/train.json   data/my_vis/train/JPEGImages/<video>/<frame>
#   data/my_vis/valid.json   data/my_vis/valid/JPEGImages/<video>/<frame>
# valid.json should keep its annotations (a few held-out videos), so that
# AP is computed after every epoch; without them, see `train_cfg` below.
data_root = 'data/my_vis/'

# (2) Your classes: category names of your annotation file, in the order of
# the model's outputs. The class count follows from them.
classes = ('class_a', 'class_b', 'class_c')
num_classes = len(classes)

# (3) The starting weights: the official SeqFormer_r50 (YouTube-VIS 2019 +
# COCO; the "[google]" link of its row in the official README), converted:
#   python tools/model_converters/seqformer_official_to_mmseqformer.py \
#       OFFICIAL_SEQFORMER_R50.pth \
#       checkpoints/seqformer_r50_youtubevis2019-coco.pth \
#       --config configs/seqformer_r50.py
# (or any mmseqformer R50 checkpoint, e.g. your own run's).
load_from = 'checkpoints/seqformer_r50_youtubevis2019-coco.pth'
# The keys re-initialised instead of loaded (regular expressions): the
# per-decoder-layer class heads of SeqFormerHead. Remove `finetune_cfg` to
# keep them (only sensible when your classes are the checkpoint's).
finetune_cfg = dict(reinit_keys=[r'^track_head\.cls_branches\.'])
# The runner that reads finetune_cfg (our tools choose it anyway; named here
# so that mmengine's and mmdet's own tools do too).
runner_type = 'StrictAtomicRunner'

model = dict(track_head=dict(num_classes=num_classes))

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages')))
test_dataloader = val_dataloader
# AP on your annotated valid split (`tools/test.py --format-only` still
# writes a submission-style results file instead).
val_evaluator = dict(
    _delete_=True, type='YouTubeVISEvalMetric', format_only=False)
test_evaluator = val_evaluator

# The official schedule (12 epochs, lr / 10 after epochs 4 and 10, AdamW
# 2e-4 for 8 GPUs x 2 clips: `--auto-scale-lr` scales it to yours). An
# epoch is one clip per annotated frame, so a small set may need more
# epochs: change max_epochs and the milestones together.
# Validation after every epoch, keeping the best checkpoint by AP. A valid
# split without annotations cannot be evaluated: then set val_interval
# above max_epochs and remove `save_best`.
train_cfg = dict(val_interval=1)
default_hooks = dict(
    checkpoint=dict(save_best='youtube_vis/segm_mAP', rule='greater'))
