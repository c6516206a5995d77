"""Multi-scale deformable attention for frames folded into the batch.

Shape legend: ``B`` = batch entries (clips x frames when folded), ``Q`` =
queries, ``V`` = sum of H_l * W_l over levels, ``C`` = embed_dims, ``L`` =
levels, ``P`` = points, ``M`` = heads.
"""
import warnings
from typing import Tuple

from mmcv.ops import MultiScaleDeformableAttention
from mmdet.registry import MODELS
from mmengine.model import xavier_init
from torch import Tensor, nn

from ...ops.msda_sampling import (LOW_PRECISION_DTYPES, check_training_sampler,
                                  deformable_sample)


@MODELS.register_module()
class FrameFoldedMSDA(MultiScaleDeformableAttention):
    """mmcv's ``MultiScaleDeformableAttention`` for any folded batch size.

    Identical parameters, initialisation and output; the sampling is
    :func:`~mmseqformer.ops.msda_sampling.deformable_sample` (mmcv's kernel
    on CUDA for any batch size; off CUDA a gather that gives the same
    values and gradients as mmcv's ``grid_sample`` path without
    materialising a (B * M, D, Q, L * P) tensor). Used by the encoder, where
    every frame of every clip is one batch entry. Always ``batch_first``.

    Args:
        training_sampler (str): The sampler of CPU training: ``'gather'``
            (default, faster) or ``'grid_sample'`` (mmcv's
            ``multi_scale_deformable_attn_pytorch``, which the official code
            runs off CUDA); the same values up to float rounding.
        *args, **kwargs: mmcv's ``MultiScaleDeformableAttention``.
    """

    def __init__(self,
                 *args,
                 training_sampler: str = 'gather',
                 **kwargs) -> None:
        self.training_sampler = check_training_sampler(training_sampler)
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
        return deformable_sample(value, spatial_shapes, level_start_index,
                                 reference_points, offsets, weights,
                                 self.im2col_step, self.training_sampler)


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
