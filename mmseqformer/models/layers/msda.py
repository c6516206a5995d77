"""Multi-scale deformable attention for frames folded into the batch.

Shape legend: ``B`` = batch entries (clips x frames when folded), ``Q`` =
queries, ``V`` = sum of H_l * W_l over levels, ``C`` = embed_dims, ``L`` =
levels, ``P`` = points, ``M`` = heads.
"""
import warnings
from typing import Tuple

import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmcv.ops.multi_scale_deform_attn import (
    MultiScaleDeformableAttnFunction, multi_scale_deformable_attn_pytorch)
from mmdet.registry import MODELS
from mmengine.model import xavier_init
from torch import Tensor, nn

from ...install_check import check_cuda_ops
from ...utils.torch_compat import is_autocast_enabled
from .deformable_sampling import (deformable_attn_gather_at,
                                  sampling_locations_from)


def valid_im2col_step(batch: int, im2col_step: int) -> int:
    """Largest step <= ``im2col_step`` that divides ``batch``.

    mmcv's CUDA kernel processes the batch in chunks of
    ``min(batch, im2col_step)`` and asserts that the batch divides evenly,
    which folded batches (e.g. a 70-frame video with the default 64) break.
    """
    step = min(batch, im2col_step)
    while batch % step:
        step -= 1
    return step


#: Off CUDA, training samples with the gather from this many channels per
#: head on, below with mmcv's ``grid_sample`` path. Measured on a 2-core
#: CPU (docs/benchmarks.md): R50's 32 channels train 1.4x faster per step
#: with the gather (grid_sample's path materialises a (B * M, D, Q, L * P)
#: tensor), and faster still since its backward is bulk operations
#: (:mod:`.weighted_row_sum`). The tiny demo model's 16
#: would train 1.13x faster with it too (0.47 against 0.53 s per step), but
#: keeps mmcv's path so that ``make demo`` trains, bit for bit, the model
#: whose numbers the README and docs/benchmarks.md quote.
GATHER_TRAINING_MIN_DIMS = 32

#: Floating types too coarse for the deformable sampling.
LOW_PRECISION_DTYPES = (torch.float16, torch.bfloat16)


def needs_float32_sampling(value: Tensor, *others: Tensor) -> bool:
    """Whether the sampling must be lifted to float32: autocast is on for
    ``value``'s device or an input is float16/bfloat16. False in plain
    float32 or float64, which then run exactly as without this check."""
    return is_autocast_enabled(value.device.type) or any(
        tensor.dtype in LOW_PRECISION_DTYPES for tensor in (value, ) + others)


@MODELS.register_module()
class FrameFoldedMSDA(MultiScaleDeformableAttention):
    """mmcv's ``MultiScaleDeformableAttention`` for any folded batch size.

    Identical parameters, initialisation and output. On CUDA, mmcv's kernel
    with ``im2col_step`` reduced per call to a divisor of the batch size (see
    :func:`valid_im2col_step`); elsewhere :func:`deformable_attn_gather_at`
    instead of mmcv's ``grid_sample`` path (``multi_scale_deformable_attn_
    pytorch``, which the official code also runs off CUDA): the same values
    and gradients without materialising a (B * M, D, Q, L * P) tensor
    (several times faster inference; in training from
    :data:`GATHER_TRAINING_MIN_DIMS` channels per head). Used by the
    encoder, where every frame of every clip is one batch entry. Always
    ``batch_first``.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs['batch_first'] = True
        with warnings.catch_warnings():
            # mmcv warns when embed_dims // num_heads is not a power of 2
            # (the tiny test models); the result is still correct.
            warnings.simplefilter('ignore', UserWarning)
            super().__init__(*args, **kwargs)

    def forward(self,
                query: Tensor,
                key: Tensor = None,
                value: Tensor = None,
                identity: Tensor = None,
                query_pos: Tensor = None,
                key_padding_mask: Tensor = None,
                reference_points: Tensor = None,
                spatial_shapes: Tensor = None,
                level_start_index: Tensor = None,
                **kwargs) -> Tensor:
        """mmcv's forward: ``identity + dropout(output_proj(samples))``.

        Args:
            query (Tensor): (B, Q, C).
            key: Unused (as in mmcv).
            value (Tensor, optional): (B, V, C); ``query`` when None.
            identity (Tensor, optional): (B, Q, C); ``query`` when None.
            query_pos (Tensor, optional): (B, Q, C) added to ``query``.
            Others: as in :meth:`sample`.

        Returns:
            Tensor: (B, Q, C).
        """
        value = query if value is None else value
        identity = query if identity is None else identity
        if query_pos is not None:
            query = query + query_pos
        samples = self.sample(query, value, reference_points, spatial_shapes,
                              level_start_index, key_padding_mask)
        return self.dropout(self.output_proj(samples)) + identity

    def sample(self,
               query: Tensor,
               value: Tensor,
               reference_points: Tensor,
               spatial_shapes: Tensor,
               level_start_index: Tensor,
               key_padding_mask: Tensor = None) -> Tensor:
        """The attention's sampled features, before the output projection.

        Args:
            query (Tensor): (B, Q, C) queries, positional encoding included.
            value (Tensor): (B, V, C) memory.
            reference_points (Tensor): (B, Q, L, 2 or 4), normalised.
            spatial_shapes (Tensor): (L, 2) level sizes (h, w).
            level_start_index (Tensor): (L, ) start of each level in ``V``.
            key_padding_mask (Tensor, optional): (B, V), True where padded.

        Returns:
            Tensor: (B, Q, C) head-concatenated sampled features.
        """
        batch, num_query, _ = query.shape
        num_value = value.shape[1]
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        value = value.view(batch, num_value, self.num_heads, -1)
        offsets = self.sampling_offsets(query).view(batch, num_query,
                                                    self.num_heads,
                                                    self.num_levels,
                                                    self.num_points, 2)
        logits = self.attention_weights(query)
        if logits.dtype in LOW_PRECISION_DTYPES:
            # Mixed precision: CPU autocast keeps softmax in bfloat16.
            logits = logits.float()
        weights = logits.view(
            batch, num_query, self.num_heads,
            self.num_levels * self.num_points).softmax(-1).view(
                batch, num_query, self.num_heads, self.num_levels,
                self.num_points)
        if not needs_float32_sampling(value, reference_points, offsets,
                                      weights):
            return self._sample_values(value, spatial_shapes,
                                       level_start_index, reference_points,
                                       offsets, weights)
        # Mixed precision: the projections above ran in float16/bfloat16;
        # the locations and the sampling are computed in float32 (mmcv's
        # CUDA kernel has no bfloat16 and would round the locations to
        # float16; the CPU paths compute pixel coordinates in the value's
        # dtype), then the samples go back to the value's dtype for the
        # output projection.
        with torch.autocast(value.device.type, enabled=False):
            samples = self._sample_values(value.float(), spatial_shapes,
                                          level_start_index,
                                          reference_points.float(),
                                          offsets.float(), weights.float())
        return samples.to(value.dtype)

    def _sample_values(self, value: Tensor, spatial_shapes: Tensor,
                       level_start_index: Tensor, reference_points: Tensor,
                       offsets: Tensor, weights: Tensor) -> Tensor:
        """Bilinear sampling weighted by attention, (B, Q, M * D)."""
        if value.is_cuda:
            check_cuda_ops(value.device)
            return MultiScaleDeformableAttnFunction.apply(
                value, spatial_shapes, level_start_index,
                sampling_locations_from(reference_points, offsets,
                                        spatial_shapes), weights,
                valid_im2col_step(value.shape[0], self.im2col_step))
        if torch.is_grad_enabled() and \
                value.shape[-1] < GATHER_TRAINING_MIN_DIMS:
            return multi_scale_deformable_attn_pytorch(
                value, spatial_shapes,
                sampling_locations_from(reference_points, offsets,
                                        spatial_shapes), weights)
        return deformable_attn_gather_at(value, spatial_shapes,
                                         reference_points, offsets, weights)


@MODELS.register_module()
class DualProjectionMSDA(FrameFoldedMSDA):
    """Deformable attention whose samples are projected twice (SeqFormer).

    One sampling pass (offsets and weights from the box query) feeds two
    output projections: ``output_proj`` for the instance path and
    ``output_proj_box`` for the box path
    (``docs/notes/official_behaviour.md`` §1.5).
    There is no residual or dropout inside: the decoder layer adds them.
    """

    def __init__(self, *args, **kwargs) -> None:
        # The parent's __init__ calls init_weights before output_proj_box
        # exists; init_weights skips it then, and it is initialised here.
        super().__init__(*args, **kwargs)
        self.output_proj_box = nn.Linear(self.embed_dims, self.embed_dims)
        xavier_init(self.output_proj_box, distribution='uniform', bias=0.)

    def init_weights(self) -> None:
        """mmcv's initialisation, plus xavier for ``output_proj_box``.

        NOTE: the official ``output_proj_box`` keeps nn.Linear's default
        bias (it is not in the MSDA reset); here it is 0 like
        ``output_proj``. Pretrained checkpoints overwrite both.
        """
        super().init_weights()
        if hasattr(self, 'output_proj_box'):
            xavier_init(self.output_proj_box, distribution='uniform', bias=0.)

    def forward(self,
                query: Tensor,
                value: Tensor,
                reference_points: Tensor,
                spatial_shapes: Tensor,
                level_start_index: Tensor,
                key_padding_mask: Tensor = None) -> Tuple[Tensor, Tensor]:
        """Sample once, project for both paths.

        Args: as :meth:`FrameFoldedMSDA.sample`.

        Returns:
            tuple[Tensor, Tensor]: (B, Q, C) instance-path and box-path
            features.
        """
        sampled = self.sample(query, value, reference_points, spatial_shapes,
                              level_start_index, key_padding_mask)
        return self.output_proj(sampled), self.output_proj_box(sampled)
