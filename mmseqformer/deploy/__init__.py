"""ONNX export of SeqFormer and ONNX Runtime inference through the same
API (``docs/user_guides/deployment.md``)."""
from .deploy_meta import META_FILE, read_deploy_meta
from .onnx_export import export_onnx
from .onnx_model import OnnxVisModel, init_onnx_vis_model

__all__ = [
    'META_FILE', 'read_deploy_meta', 'export_onnx', 'OnnxVisModel',
    'init_onnx_vis_model'
]
