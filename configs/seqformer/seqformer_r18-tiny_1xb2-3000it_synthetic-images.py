# Stage 1 of the shipped demo model (`make demo-model`): the tiny SeqFormer
# of `make demo` pretrained on synthetic still images turned into 5-frame
# pseudo clips, as the official recipe pretrains on COCO images
# (CocoPseudoVideoDataset + ImageToPseudoClip). Stage 2,
# seqformer_r18-tiny_1xb2-10000it_synthetic-demo-model.py, trains on videos
# from the last checkpoint of this one.
# The images: `make_synthetic_vis.py data/synthetic_vis --images 4000`
# (the split train_images beside the videos; 1-6 objects per image).
_base_ = ['./seqformer_r18-tiny_1xb2-5000it_synthetic.py']

data_root = 'data/synthetic_vis/'
classes = ('ellipse', 'rectangle', 'triangle')
# mmseqformer.datasets.synthetic.IMAGES_CATEGORY_MAP
category_map = {2: 'ellipse', 5: 'rectangle', 9: 'triangle'}
images_pipeline = [
    dict(
        type='LoadImageFromFile',
        imdecode_backend='pillow',
        color_type='color_ignore_orientation'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    # The official augmenter's ranges; motion blur scaled to ~128 px images.
    dict(
        type='ImageToPseudoClip',
        num_frames={{_base_.num_frames}},
        blur_kernel_sizes=(3, 5)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms={{_base_.train_geometry}}),
    dict(type='DropClipWithoutInstances'),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CocoPseudoVideoDataset',
        data_root=data_root,
        category_map=category_map,
        metainfo=dict(classes=classes),
        ann_file='annotations/synthetic_vis_train_images.json',
        data_prefix=dict(img='train_images/'),
        pipeline=images_pipeline))

max_iters = 3000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=1))
