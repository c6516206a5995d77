# Joint training data of the paper's main results
# (docs/notes/official_behaviour.md §4.4-4.5): YouTube-VIS 2019 clips
# anchored at every annotated frame, mixed with COCO images turned into
# 5-frame pseudo clips, in the ratio of the two datasets' lengths.
# COCO: data/coco/train2017/ and the official
# annotations/coco_keepfor_ytvis19.json (the 21 overlapping categories).
_base_ = ['./youtube_vis_2019.py']

coco_root = 'data/coco/'
# NOTE: the official map labels COCO "mouse" as "fox"; this one does not
# (use COCO_TO_YTVIS19_OFFICIAL's values to reproduce the official runs).
coco_to_ytvis19 = {
    1: 'person',
    2: 'motorbike',
    3: 'sedan',
    4: 'motorbike',
    5: 'airplane',
    7: 'train',
    8: 'truck',
    9: 'boat',
    17: 'cat',
    18: 'dog',
    19: 'horse',
    21: 'cow',
    22: 'elephant',
    23: 'bear',
    24: 'zebra',
    25: 'giraffe',
    36: 'snowboard',
    41: 'skateboard',
    42: 'surfboard',
    43: 'tennis_racket',
    74: 'mouse'
}
# COCO clips: the YouTube-VIS geometry (official resizes, PIL decoding)
# without the colour jitter (official).
coco_pipeline = [
    {{_base_.load_frame}},
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='ImageToPseudoClip', num_frames=5),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='RandomFlip', prob=0.5),
            dict(
                type='RandomChoice',
                transforms=[
                    [
                        dict(
                            type='RandomChoiceResize',
                            scales={{_base_.train_scales}},
                            resize_type='SeqFormerResize')
                    ],
                    [
                        dict(
                            type='RandomChoiceResize',
                            scales={{_base_.crop_prescales}},
                            resize_type='SeqFormerResize'),
                        dict(
                            type='RandomCrop',
                            crop_type='absolute_range',
                            crop_size=(384, 600),
                            allow_negative_crop=True),
                        dict(
                            type='RandomChoiceResize',
                            scales={{_base_.train_scales}},
                            resize_type='SeqFormerResize'),
                    ],
                ]),
        ]),
    dict(type='DropClipWithoutInstances'),
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ConcatDataset',
        ignore_keys=['cat_ids'],
        datasets=[
            dict(
                type='YouTubeVISFormatDataset',
                data_root='data/youtube_vis_2019/',
                metainfo=dict(classes={{_base_.classes}}),
                ann_file='train.json',
                data_prefix=dict(img_path='train/JPEGImages'),
                frame_anchored=True,
                pipeline={{_base_.train_pipeline}}),
            dict(
                type='CocoPseudoVideoDataset',
                data_root=coco_root,
                category_map=coco_to_ytvis19,
                metainfo=dict(classes={{_base_.classes}}),
                ann_file='annotations/coco_keepfor_ytvis19.json',
                data_prefix=dict(img='train2017/'),
                pipeline=coco_pipeline),
        ]))
