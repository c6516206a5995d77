"""SeqFormer's inference engine on ONNX Runtime sessions.

:class:`OnnxSeqFormerEngine` overrides the three network steps of
:class:`~mmseqformer.models.vis.SeqFormerEngine` with the exported graphs
(:mod:`mmseqformer.deploy.onnx_export`); aggregation over frames,
selection and mask post-processing are the engine's own, shared with
PyTorch. Tensors cross into ONNX Runtime as float32 numpy arrays and come
back as CPU tensors.

Shape legend: ``t`` frames, ``L`` decoder layers, ``Q`` queries, ``C``
embed_dims, ``K`` classes, ``D`` mask feature channels, ``h, w`` the
stride-8 size, ``n`` chosen queries.
"""
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmdet.structures import TrackDataSample
from torch import Tensor

from ..models.vis import FrameRecord, SeqFormerEngine


def _array(tensor: Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to('cpu',
                                                   torch.float32).numpy())


class OnnxSeqFormerEngine(SeqFormerEngine):
    """The engine of an :class:`~mmseqformer.deploy.OnnxVisModel`.

    Args:
        model (OnnxVisModel): Gives the sessions (``sessions``: role ->
            ``onnxruntime.InferenceSession``), ``weighted`` and the head
            for the shared post-processing.
    """

    def __init__(self, model) -> None:
        super().__init__(model)
        self.sessions = model.sessions
        self.weighted = model.weighted

    def _run(self, role: str, feeds: Dict[str, Tensor]) -> List[Tensor]:
        outputs = self.sessions[role].run(None, {
            name: _array(value)
            for name, value in feeds.items()
        })
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
            inst_feats, frame_logits, references, mask_feats = outputs
        else:
            (inst_feats, references, mask_feats), frame_logits = outputs, None
        return FrameRecord(
            first_frame=0,
            inst_feats=inst_feats,
            frame_logits=frame_logits,
            references=references,
            mask_feats=mask_feats)

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
        if len(inst_queries) == 0:  # nothing to render (no graph call)
            upsample = self.head.mask_head.upsample
            return mask_feats.new_zeros(
                (0, len(mask_feats), mask_feats.shape[2] * upsample,
                 mask_feats.shape[3] * upsample))
        (logits, ) = self._run(
            'instance_masks',
            dict(
                mask_feats=mask_feats,
                inst_queries=inst_queries,
                references=references,
                image_size=torch.tensor(image_size, dtype=torch.float32)))
        return logits
