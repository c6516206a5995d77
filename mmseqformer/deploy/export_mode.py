"""The one switch that makes SeqFormer's inference traceable for ONNX.

:func:`traceable_inference` swaps, for the duration of a ``with`` block
and for everyone in the process, the functions whose sizes a trace would
record as constants (or, once exported, divide by zero) for the versions
of :mod:`mmseqformer.deploy.traceable_sampling`:

- ``mmseqformer.models.layers.msda.deformable_attn_gather_at`` (the CPU
  inference sampling of every deformable attention) ->
  :func:`deformable_attn_grid_sample_at` (ONNX ``GridSample``);
- ``mmseqformer.models.vis.seqformer.unflatten_levels`` ->
  :func:`unflatten_levels_traceable`;
- mmdet's ``DeformableDetrTransformerEncoder.get_encoder_reference_points``
  -> :func:`encoder_reference_points_traceable`;
- ``DynamicMaskHead.split_params`` -> :func:`split_params_traceable`.

Gradients are off inside (the attention uses the gather path only
without them) and the originals come back on exit, even after an error.
Export runs on the CPU (on CUDA the attention calls mmcv's kernel, which
does not export).
"""
from contextlib import contextmanager
from typing import Iterator

import torch

from mmdet.models.layers.transformer import DeformableDetrTransformerEncoder

from ..models.layers import DynamicMaskHead, msda
from ..models.vis import seqformer
from .traceable_sampling import (deformable_attn_grid_sample_at,
                                 encoder_reference_points_traceable,
                                 split_params_traceable,
                                 unflatten_levels_traceable)

#: (module or class, attribute, replacement) patched by
#: traceable_inference; each attribute is defined by that very owner.
PATCHES = (
    (msda, 'deformable_attn_gather_at', deformable_attn_grid_sample_at),
    (seqformer, 'unflatten_levels', unflatten_levels_traceable),
    (DeformableDetrTransformerEncoder, 'get_encoder_reference_points',
     staticmethod(encoder_reference_points_traceable)),
    (DynamicMaskHead, 'split_params', split_params_traceable),
)


@contextmanager
def traceable_inference() -> Iterator[None]:
    """Run SeqFormer's inference code in its traceable form (see the
    module docstring)."""
    originals = []
    for owner, name, replacement in PATCHES:
        # The raw attribute (a staticmethod stays one when put back).
        if name not in vars(owner):
            raise RuntimeError(f'{owner.__name__}.{name} is gone: update '
                               'mmseqformer/deploy/export_mode.py')
        originals.append((owner, name, vars(owner)[name]))
        setattr(owner, name, replacement)
    try:
        with torch.no_grad():
            yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
