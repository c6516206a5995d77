"""mmseqformer's own registries (its models, datasets and metrics register
in mmdet's).

``VIS_BACKENDS``: how :func:`~mmseqformer.apis.init_vis_model` builds a
model for a backend name (``pytorch``; ``onnxruntime``, registered by
:mod:`mmseqformer.deploy`, which the registry imports on first use, so
that the inference API never imports the deployment package above it).
A backend is a function ``(config, checkpoint, device, cfg_options,
strict) -> model`` whose model has an ``inference_engine``.
"""
from mmengine.registry import Registry

VIS_BACKENDS = Registry(
    'vis backend',
    scope='mmseqformer',
    locations=['mmseqformer.apis', 'mmseqformer.deploy'])
