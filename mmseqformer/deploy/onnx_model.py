"""A SeqFormer whose network runs on ONNX Runtime, usable wherever the
PyTorch model is (``inference_vis``, ``stream_vis``, the demo).

:class:`OnnxVisModel` has what the shared inference code reads from a
model: ``cfg`` (test pipeline), ``dataset_meta`` (classes),
``data_preprocessor`` (normalisation) and ``inference_engine()``, a
:class:`~mmseqformer.models.vis.SeqFormerEngine` whose network steps
(``frame_paths``, ``instance_path``, ``instance_masks``) are the exported
graphs (:mod:`mmseqformer.deploy.onnx_export`). Aggregation over frames,
selection and mask post-processing are the engine's, shared with PyTorch.
Tensors cross into ONNX Runtime as float32 numpy arrays and come back as
CPU tensors.

Shape legend: ``t`` frames, ``num_layers`` decoder layers, ``Q`` queries,
``C`` embed_dims, ``K`` classes, ``D`` mask feature channels, ``h, w`` the
stride-8 size, ``n`` chosen queries.
"""
import inspect
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmdet.registry import MODELS
from mmdet.structures import TrackDataSample
from mmengine.config import Config
from torch import Tensor

from ..models.layers import SeqFormerDecoder, SeqFormerDecoderLayer
from ..models.tracking_heads import SeqFormerHead
from ..models.vis import FrameRecord, SeqFormerEngine, video_test_cfg
from ..registry import VIS_BACKENDS
from ..utils.tool_config import load_model_config
from .deploy_meta import CONFIG_FILE, META_FILE, read_deploy_meta


class OnnxVisModel:
    """An exported SeqFormer (a folder from
    ``tools/deployment/export_onnx.py``) on ONNX Runtime.

    Args:
        model_dir (str): The exported model folder.
        config (str or Config, optional): The model config (its test
            pipeline, normalisation and ``test_cfg`` are used); by default
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
        self._check_config()
        self.test_cfg = video_test_cfg(config.model.track_head.get('test_cfg'))
        self.weighted = self.meta['weighted']
        self.sessions = open_sessions(model_dir, self.meta, device,
                                      num_threads)

    def _check_config(self) -> None:
        """The config must describe the exported network: its head sizes
        and normalisation are compared with deploy.json, the first
        difference named."""
        meta = self.meta
        found = head_sizes(self.cfg.model.track_head)
        expected = {key: meta[key] for key in found}
        preprocessor = self.cfg.model.data_preprocessor
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

    def inference_engine(self, amp: bool = False) -> SeqFormerEngine:
        """A new engine on this model's graphs (one per video).

        Args:
            amp (bool): Mixed precision; not available (the graphs are
                float32).
        """
        if amp:
            raise ValueError('mixed precision (amp) is not available with '
                             'the onnxruntime backend: the graphs are '
                             'float32')
        return SeqFormerEngine(self, self.meta['aggregations'], self.test_cfg)

    # The network steps (SeqFormerEngine), on the graphs.

    def _run(self, role: str, feeds: Dict[str, Tensor]) -> List[Tensor]:
        outputs = self.sessions[role].run(
            None, {name: _array(value)
                   for name, value in feeds.items()})
        return [torch.from_numpy(output) for output in outputs]

    def frame_paths(self, inputs: Tensor,
                    data_sample: TrackDataSample) -> FrameRecord:
        """``frame_paths.onnx`` on the t frames of ``inputs``
        (1, t, 3, H, W)."""
        frame = data_sample[0]
        if tuple(frame.img_shape) != tuple(frame.batch_input_shape):
            raise ValueError(
                f'the frames are padded ({frame.img_shape} in '
                f'{frame.batch_input_shape}); the exported graphs take '
                'unpadded frames (SeqFormerDataPreprocessor with '
                'test_pad_size_divisor=1, as in the configs)')
        outputs = self._run('frame_paths', dict(frames=inputs[0]))
        if self.weighted:
            (inst_feats, frame_logits, references, mask_feats,
             appearance_feats) = outputs
        else:
            (inst_feats, references, mask_feats,
             appearance_feats), frame_logits = outputs, None
        return FrameRecord(
            first_frame=0,
            inst_feats=inst_feats,
            frame_logits=frame_logits,
            references=references,
            mask_feats=mask_feats,
            appearance_feats=appearance_feats)

    def instance_path(self, aggregated: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """``instance_path.onnx`` on every layer's (1, Q, C) aggregated
        features: class logits (Q, K) and instance queries (Q, C)."""
        cls_logits, inst_queries = self._run(
            'instance_path', dict(aggregated=torch.cat(aggregated)))
        return cls_logits, inst_queries

    def instance_masks(self, mask_feats: Tensor, inst_queries: Tensor,
                       references: Tensor, image_size: Tuple[int,
                                                             int]) -> Tensor:
        """``instance_masks.onnx``: (n, t, 2h, 2w) logits from (t, D, h, w)
        mask features, (n, C) queries, (t, n, 4) references and the input's
        (width, height)."""
        count = len(inst_queries)
        if count == 0:  # the graph's output size, from one dummy query
            inst_queries = inst_queries.new_zeros((1, ) +
                                                  inst_queries.shape[1:])
            references = references.new_zeros((len(mask_feats), 1, 4))
        (logits, ) = self._run(
            'instance_masks',
            dict(
                mask_feats=mask_feats,
                inst_queries=inst_queries,
                references=references,
                image_size=torch.tensor(image_size, dtype=torch.float32)))
        return logits[:count]


def _array(tensor: Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to('cpu',
                                                   torch.float32).numpy())


def _default(cls: type, name: str) -> Any:
    """The default of argument ``name`` of ``cls``."""
    return inspect.signature(cls).parameters[name].default


def head_sizes(head_cfg: Dict) -> Dict[str, Any]:
    """``num_layers``, ``num_queries``, ``num_classes`` and
    ``aggregations`` of a ``track_head`` config (defaults where it gives
    none), as deploy.json records them."""
    decoder = head_cfg.get('decoder', _default(SeqFormerHead, 'decoder'))
    num_layers = decoder.get('num_layers',
                             _default(SeqFormerDecoder, 'num_layers'))
    layer_cfg = decoder.get('layer_cfg', {})
    return dict(
        num_layers=num_layers,
        num_queries=head_cfg.get('num_queries',
                                 _default(SeqFormerHead, 'num_queries')),
        num_classes=head_cfg['num_classes'],
        aggregations=[
            layer_cfg.get('aggregation',
                          _default(SeqFormerDecoderLayer, 'aggregation'))
        ] * num_layers)


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
        role: ort.InferenceSession(
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


@VIS_BACKENDS.register_module('onnxruntime')
def onnxruntime_backend(config: Union[str, Config,
                                      None], checkpoint: Optional[str],
                        device: str, cfg_options: Optional[dict],
                        strict: bool) -> OnnxVisModel:
    """The ``onnxruntime`` backend of ``init_vis_model``: ``checkpoint`` is
    the exported model folder (``strict`` has no meaning: the graphs are
    the weights)."""
    if checkpoint is None:
        raise ValueError('the onnxruntime backend needs the exported '
                         'model folder as checkpoint')
    return init_onnx_vis_model(checkpoint, config, device, cfg_options)
