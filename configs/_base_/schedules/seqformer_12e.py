# The official recipe (docs/notes/official_behaviour.md §4.1): AdamW 2e-4,
# weight decay 1e-4 on every parameter, x0.1 for the backbone and for the
# deformable sampling-offset and reference-point layers, gradient clipping
# 0.1 (L2 norm of all gradients), 12 epochs with the lr divided by 10 after
# epochs 4 and 10 (joint training; the YouTube-VIS-only ablation uses
# [2, 10]).
# One epoch = one clip per annotated frame (TrackImgSampler).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1),
        }))

max_epochs = 12
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=13)
# Validation leaves the training's random stream as it was (the weights do
# not depend on the validation interval).
val_cfg = dict(type='RandomStatePreservingValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[4, 10],
        gamma=0.1)
]
# 8 GPUs x 2 clips, as official for R50/R101.
auto_scale_lr = dict(enable=False, base_batch_size=16)
