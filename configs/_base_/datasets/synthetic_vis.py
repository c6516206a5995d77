# The embedded synthetic dataset, made by
# tools/dataset_converters/make_synthetic_vis.py:
# small frames (96-160 px) with moving, deforming, occluding shapes of 3
# categories; `valid` is a held-out split with annotations, so AP is computed.
# Same pipeline structure as YouTube-VIS, with scales for the small frames.
_base_ = ['./youtube_vis_2019.py']

data_root = 'data/synthetic_vis/'
classes = ('ellipse', 'rectangle', 'triangle')
num_frames = 5
# SeqFormerResize scales: (max long side, short side) or a short side.
train_scales = [(192, s) for s in (96, 112, 128)]
crop_prescales = [112, 128, 144]
test_scale = 112

# Geometry shared by all frames of a clip (flip, then resize or crop and
# resize); the still-image pretraining of the demo model reuses it.
train_geometry = [
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [
                dict(
                    type='RandomChoiceResize',
                    scales=train_scales,
                    resize_type='SeqFormerResize')
            ],
            [
                dict(
                    type='RandomChoiceResize',
                    scales=crop_prescales,
                    resize_type='SeqFormerResize'),
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(80, 128),
                    allow_negative_crop=True),
                dict(
                    type='RandomChoiceResize',
                    scales=train_scales,
                    resize_type='SeqFormerResize'),
            ],
        ]),
]
train_pipeline = [
    dict(type='SeqFormerClipSample', num_frames=num_frames),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(
                type='LoadVideoFrameFromFile',
                imdecode_backend='pillow',
                color_type='color_ignore_orientation'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ] + train_geometry),
    dict(
        type='TransformBroadcaster',
        share_random_params=False,
        transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='DropClipWithoutInstances'),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(
                type='LoadVideoFrameFromFile',
                imdecode_backend='pillow',
                color_type='color_ignore_orientation'),
            dict(type='SeqFormerResize', scale=test_scale),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations/synthetic_vis_train.json',  # CocoVID layout
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='valid.json',  # official layout
        data_prefix=dict(img_path='valid/JPEGImages'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='YouTubeVISEvalMetric',
    format_only=False,
    outfile_prefix='./work_dirs/synthetic_vis_results')
test_evaluator = val_evaluator
