# Stage 2 of the shipped demo model (`make demo-model`): the tiny SeqFormer
# of `make demo`, started from the image-pretrained weights of stage 1
# (seqformer_r18-tiny_1xb2-3000it_synthetic-images.py), trained on the
# synthetic videos for 10000 iterations. Its float16 weights are the demo
# model that `make demo` evaluates and draws, and the tests' trained model.
_base_ = ['./seqformer_r18-tiny_1xb2-5000it_synthetic.py']

load_from = 'work_dirs/demo_model/images/iter_3000.pth'
max_iters = 10000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[8500],
        gamma=0.1),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=1))
