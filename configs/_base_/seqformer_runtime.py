# mmdet's default runtime plus what video models need: per-epoch
# checkpoints, the video instance visualiser (filled masks, labels beside
# the objects, small frames upscaled), the official seed.
_base_ = ['mmdet::_base_/default_runtime.py']

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    visualization=dict(type='TrackVisualizationHook', draw=False))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='VideoInstanceVisualizer',
    vis_backends=vis_backends,
    name='visualizer')
randomness = dict(seed=42)
