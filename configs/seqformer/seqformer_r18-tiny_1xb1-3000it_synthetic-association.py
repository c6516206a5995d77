# The shipped demo model fine-tuned for the window and clip modes, which
# link consecutive clips by their queries: each training sample is 10
# frames of one video decoded as two consecutive 5-frame clips, and a
# contrastive loss (ClipAssociationLoss, as IDOL / CTVIS train their
# embeddings) asks an object's descriptor (instance query and query
# features, what the linker compares) in one clip to be more like its own
# in the other clip than like any other query's. 3000 iterations of one
# sample from checkpoints/seqformer_r18-tiny_synthetic_fp16.pth (about 15
# minutes on one core); the demo model's own recipe does not change.
# Against the same fine-tuning without the loss it did not raise the
# linked modes and cost the offline mode 0.04 AP on the long synthetic
# videos (docs/notes/causal_modes.md).
_base_ = ['./seqformer_r18-tiny_1xb2-10000it_synthetic-demo-model.py']

load_from = 'checkpoints/seqformer_r18-tiny_synthetic_fp16.pth'
model = dict(
    track_head=dict(
        clips_per_sample=2,
        association_loss=dict(
            type='ClipAssociationLoss', temperature=0.1, loss_weight=1.0)))

train_pipeline = [
    # Two clips of the base's 5 frames, sorted in time.
    dict(type='SeqFormerClipSample', num_frames=10),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            {{_base_.load_frame}},
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Compose', transforms={{_base_.train_geometry}}),
        ]),
    dict(
        type='TransformBroadcaster',
        share_random_params=False,
        transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='DropClipWithoutInstances'),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))

max_iters = 3000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[2550],
        gamma=0.1),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
