"""mmseqformer's own registries (its models, datasets and metrics register
in mmdet's).

``VIS_BACKENDS``: how :func:`~mmseqformer.apis.init_vis_model` builds a
model for a backend name. A backend is a function ``(config, checkpoint,
device, cfg_options, strict) -> model`` whose model has an
``inference_engine``. :func:`get_vis_backend` imports only the module
that registers the backend asked for (``pytorch``: ``mmseqformer.apis``;
``onnxruntime``: ``mmseqformer.deploy``), so the inference API never
imports the deployment package above it, and a PyTorch user never loads
it.
"""
import importlib
from typing import Callable

from mmengine.registry import Registry

VIS_BACKENDS = Registry('vis backend', scope='mmseqformer')

#: Backend name -> the module that registers it.
VIS_BACKEND_MODULES = dict(
    pytorch='mmseqformer.apis.inference',
    onnxruntime='mmseqformer.deploy.onnx_model')


def get_vis_backend(name: str) -> Callable:
    """The builder of backend ``name``.

    Raises:
        ValueError: An unknown name, naming the known ones.
    """
    if name not in VIS_BACKEND_MODULES:
        raise ValueError(f'backend must be one of '
                         f'{sorted(VIS_BACKEND_MODULES)}, got {name!r}')
    importlib.import_module(VIS_BACKEND_MODULES[name])
    return VIS_BACKENDS.get(name)
