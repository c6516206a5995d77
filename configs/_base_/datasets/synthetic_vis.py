# The embedded synthetic dataset, made by
# tools/dataset_converters/make_synthetic_vis.py:
# small frames (96-160 px) with moving, deforming, occluding shapes of 3
# categories; `valid` is a held-out split with annotations, so AP is computed.
# Same pipeline structure as YouTube-VIS, with scales for the small frames.
_base_ = ['./youtube_vis_2019.py']

data_root = 'data/synthetic_vis/'
classes = ('ellipse', 'rectangle', 'triangle')
num_frames = 5
train_scales = [(192, s) for s in (96, 112, 128)]
crop_prescales = [(100000, s) for s in (112, 128, 144)]
test_scale = (100000, 112)

train_pipeline = [
    dict(type='SeqFormerClipSample', num_frames=num_frames),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
            dict(
                type='RandomChoice',
                transforms=[
                    [dict(type='RandomChoiceResize', scales=train_scales,
                          keep_ratio=True)],
                    [
                        dict(type='RandomChoiceResize', scales=crop_prescales,
                             keep_ratio=True),
                        dict(type='RandomCrop', crop_type='absolute_range',
                             crop_size=(80, 128), allow_negative_crop=True),
                        dict(type='RandomChoiceResize', scales=train_scales,
                             keep_ratio=True),
                    ],
                ]),
        ]),
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
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=test_scale, keep_ratio=True),
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
