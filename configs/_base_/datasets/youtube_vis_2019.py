# YouTube-VIS 2019: training clips as the official SeqFormer code samples and
# augments them, testing on whole videos at 360p (shorter side) as the paper.
#
# data/youtube_vis_2019/
#   train/JPEGImages/<video>/<frame>.jpg, train.json    (official layout,
#   valid/JPEGImages/<video>/<frame>.jpg, valid.json     read directly)
custom_imports = dict(imports=['mmseqformer'], allow_failed_imports=False)

dataset_type = 'YouTubeVISFormatDataset'
data_root = 'data/youtube_vis_2019/'
classes = ('person', 'giant_panda', 'lizard', 'parrot', 'skateboard', 'sedan',
           'ape', 'dog', 'snake', 'monkey', 'hand', 'rabbit', 'duck', 'cat',
           'cow', 'fish', 'train', 'horse', 'turtle', 'bear', 'motorbike',
           'giraffe', 'leopard', 'fox', 'deer', 'owl', 'surfboard', 'airplane',
           'truck', 'zebra', 'tiger', 'elephant', 'snowboard', 'boat', 'shark',
           'mouse', 'frog', 'eagle', 'earless_seal', 'tennis_racket')
num_frames = 5  # frames per training clip (T)
backend_args = None

# Resizes as official (SeqFormerResize: its size rule, PIL bilinear images,
# nearest masks). A (long, short) pair is the official
# "RandomResize([short], max_size=long)"; an int is a shorter side with no
# bound on the longer one.
train_scales = [(768, s) for s in (288, 320, 352, 392, 416, 448, 480, 512)]
crop_prescales = [400, 500, 600]
test_scale = 360  # torchvision's Resize(360) of the official inference.py
# Frames decoded by PIL, as official (no EXIF rotation, as PIL's Image.open).
load_frame = dict(
    type='LoadVideoFrameFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation',
    backend_args=backend_args)

train_pipeline = [
    # Every annotated frame is the anchor of one clip per epoch (with
    # TrackImgSampler below); clip frames drawn as official.
    dict(type='SeqFormerClipSample', num_frames=num_frames),
    # Geometry shared by all frames of a clip.
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            load_frame,
            dict(type='LoadTrackAnnotations', with_mask=True),
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
                            crop_size=(384, 600),
                            allow_negative_crop=True),
                        dict(
                            type='RandomChoiceResize',
                            scales=train_scales,
                            resize_type='SeqFormerResize'),
                    ],
                ]),
        ]),
    # Colour jitter drawn independently for each frame, as official.
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
            load_frame,
            dict(type='SeqFormerResize', scale=test_scale),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    # Not padded (SeqFormerDataPreprocessor), as the official inference.
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),  # one item per annotated frame
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,  # one whole video per step
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# The valid/test annotations are hidden: write the server's submission file.
val_evaluator = dict(
    type='YouTubeVISEvalMetric',
    format_only=True,
    outfile_prefix='./work_dirs/youtube_vis_2019_results')
test_evaluator = val_evaluator
