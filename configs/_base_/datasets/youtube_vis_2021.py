# YouTube-VIS 2021 (official layout, read directly):
# data/youtube_vis_2021/{train,valid}/{JPEGImages/, instances.json}
_base_ = ['./youtube_vis_2019.py']

data_root = 'data/youtube_vis_2021/'
classes = ('airplane', 'bear', 'bird', 'boat', 'car', 'cat', 'cow', 'deer',
           'dog', 'duck', 'earless_seal', 'elephant', 'fish', 'flying_disc',
           'fox', 'frog', 'giant_panda', 'giraffe', 'horse', 'leopard',
           'lizard', 'monkey', 'motorbike', 'mouse', 'parrot', 'person',
           'rabbit', 'shark', 'skateboard', 'snake', 'snowboard', 'squirrel',
           'surfboard', 'tennis_racket', 'tiger', 'train', 'truck', 'turtle',
           'whale', 'zebra')

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='train/instances.json'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='valid/instances.json'))
test_dataloader = val_dataloader

val_evaluator = dict(outfile_prefix='./work_dirs/youtube_vis_2021_results')
test_evaluator = val_evaluator
