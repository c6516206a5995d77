# The tiny SeqFormer of `make demo`: the model of
# seqformer_r18-tiny_1xb2-5000it_synthetic.py trained from scratch with one
# 5-frame clip per iteration for 9000 iterations on the 600 training videos,
# about 30 minutes on a 2-core CPU. In the same time a batch of 1 takes 1.8x
# the optimizer steps of a batch of 2; on the held-out synthetic videos that
# scored higher than 5000 iterations of 2 clips (docs/benchmarks.md).
_base_ = './seqformer_r18-tiny_1xb2-5000it_synthetic.py'

train_dataloader = dict(batch_size=1)

max_iters = 9000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[7650],
        gamma=0.1),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
