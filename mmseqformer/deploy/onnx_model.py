"""A SeqFormer whose network runs on ONNX Runtime, usable wherever the
PyTorch model is (``inference_vis``, ``stream_vis``, the demo).

:class:`OnnxVisModel` carries what the shared inference code reads from a
model: ``cfg`` (test pipeline), ``dataset_meta`` (classes),
``data_preprocessor`` (normalisation), ``track_head`` (test_cfg, selection,
mask post-processing, the decoder layers' aggregation modes) and
``inference_engine()``. The head is built from the config on the ``meta``
device: its methods and settings are the PyTorch model's, and it holds no
weights (any use of one would fail loudly; the network is in the graphs).
"""
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Union

import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from .deploy_meta import CONFIG_FILE, META_FILE, read_deploy_meta
from ..utils.tool_config import load_model_config
from .onnx_engine import OnnxSeqFormerEngine


class OnnxVisModel:
    """An exported SeqFormer (a folder from
    ``tools/deployment/export_onnx.py``) on ONNX Runtime.

    Args:
        model_dir (str): The exported model folder.
        config (str or Config, optional): The model config (its test
            pipeline, normalisation and head settings are used); by default
            the one saved with the graphs. Its head sizes and normalisation
            must be the exported model's; ``test_cfg`` may differ.
        device (str): ``cpu``, or ``cuda[:i]`` with onnxruntime-gpu.
        cfg_options (dict, optional): Config overrides.
        num_threads (int, optional): ONNX Runtime threads per session;
            default: PyTorch's (``OMP_NUM_THREADS``), so both backends use
            the same number.
    """

    def __init__(self,
                 model_dir: str,
                 config: Union[str, Config, None] = None,
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None,
                 num_threads: Optional[int] = None) -> None:
        self.model_dir = model_dir
        self.meta = read_deploy_meta(model_dir)
        if config is None:
            config = osp.join(model_dir, CONFIG_FILE)
        config = load_model_config(config, cfg_options)
        self.cfg = config
        self.dataset_meta = dict(self.meta['dataset_meta'])
        if isinstance(self.dataset_meta.get('classes'), list):
            # JSON has no tuples; mmdet's metainfo holds a tuple.
            self.dataset_meta['classes'] = tuple(self.dataset_meta['classes'])
        self.data_preprocessor = MODELS.build(
            config.model.data_preprocessor).eval()
        with torch.device('meta'):
            self.track_head = MODELS.build(config.model.track_head).eval()
        self._check_config()
        self.weighted = self.meta['weighted']
        self.sessions = open_sessions(model_dir, self.meta, device,
                                      num_threads)

    def _check_config(self) -> None:
        """The config must describe the exported network: what the shared
        code reads from it (head sizes, normalisation) is compared with
        deploy.json, the first difference named."""
        head, meta = self.track_head, self.meta
        preprocessor = self.cfg.model.data_preprocessor
        found = dict(
            num_layers=len(head.decoder.layers),
            num_queries=head.num_queries,
            num_classes=head.num_classes,
            aggregations=[layer.aggregation for layer in head.decoder.layers])
        expected = {key: meta[key] for key in found}
        for key in ('mean', 'std', 'bgr_to_rgb'):
            # An absent entry is recorded as [] or False.
            found[key] = _plain(preprocessor.get(key)) or None
            expected[key] = meta['input'].get(key) or None
        for key, value in found.items():
            if expected[key] != value:
                raise ValueError(
                    f'{osp.join(self.model_dir, META_FILE)}: {key} is '
                    f'{expected[key]}, the config gives {value} (use the '
                    'config exported with the graphs, '
                    f'{osp.join(self.model_dir, CONFIG_FILE)})')

    def inference_engine(self, amp: bool = False) -> OnnxSeqFormerEngine:
        """A new engine on this model's sessions (one per video).

        Args:
            amp (bool): Mixed precision; not available (the graphs are
                float32).
        """
        if amp:
            raise ValueError('mixed precision (amp) is not available with '
                             'the onnxruntime backend: the graphs are '
                             'float32')
        return OnnxSeqFormerEngine(self)


def _plain(value: Any) -> Any:
    """A config value as deploy.json holds it (tuples as lists)."""
    return json.loads(json.dumps(value))


def open_sessions(model_dir: str, meta: Dict, device: str,
                  num_threads: Optional[int]) -> Dict[str, Any]:
    """One ``onnxruntime.InferenceSession`` per graph role."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads or torch.get_num_threads()
    providers = _providers(device, ort.get_available_providers())
    return {
        role:
        ort.InferenceSession(
            osp.join(model_dir, graph['file']), options, providers=providers)
        for role, graph in meta['graphs'].items()
    }


def _providers(device: str, available: List[str]) -> List:
    if device == 'cpu':
        return ['CPUExecutionProvider']
    if device.startswith('cuda'):
        if 'CUDAExecutionProvider' not in available:
            raise ValueError(
                f'device {device!r}: this onnxruntime has no CUDA provider '
                f'({available}); install onnxruntime-gpu or use cpu')
        index = int(device.partition(':')[2] or 0)
        return [('CUDAExecutionProvider', dict(device_id=index)),
                'CPUExecutionProvider']
    raise ValueError(f'device must be cpu or cuda[:i], got {device!r}')


def init_onnx_vis_model(model_dir: str,
                        config: Union[str, Config, None] = None,
                        device: str = 'cpu',
                        cfg_options: Optional[dict] = None) -> OnnxVisModel:
    """:class:`OnnxVisModel` (what ``init_vis_model(config, model_dir,
    backend='onnxruntime')`` returns)."""
    return OnnxVisModel(model_dir, config, device, cfg_options)
