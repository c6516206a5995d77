"""SeqFormer's query-decompose decoder
(``docs/notes/official_behaviour.md`` §1.5).

Modified from the official ``models/deformable_transformer.py``
(wjf5203/SeqFormer, MIT): the algorithm is reproduced, the code is not.

Shape legend: ``bs`` clips, ``T`` frames, ``Q`` queries, ``C`` embed_dims,
``L`` levels, ``V`` = sum of H_l * W_l of one frame. Folded frame tensors are
``(bs * T, ...)``, clip-major.

One layer, for instance query ``I`` (bs, Q, C) and box queries ``B_t``:

1. ``I = norm(I + SelfAttn(I))`` over the queries.
2. ``B_t = norm(B_t + SelfAttnBox(B_t))`` within each frame (own weights).
3. Deformable sampling on frame t, driven by ``B_t``; the samples are
   projected twice: ``A_t`` for the instance path, ``D_t`` for the box path.
4. ``B_t = FFNBox(norm(B_t + D_t))``.
5. ``w_t = softmax_t(Linear(B_t))`` and ``I = FFN(norm(I + sum_t w_t A_t))``.

Box queries never read the instance query after layer 1, and each frame's
box queries only see that frame.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import MultiheadAttention
from mmdet.models.layers.transformer import inverse_sigmoid
from mmdet.utils import ConfigType, OptConfigType
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from ...ops.row_ffn import RowFFN
from .frame_aggregation import AGGREGATIONS, FrameAggregation
from .msda import DualProjectionMSDA


class SeqFormerDecoderLayer(BaseModule):
    """One query-decompose decoder layer (post-norm, as official).

    Args:
        self_attn_cfg (dict): mmcv ``MultiheadAttention`` config, used for
            both the instance and the box self-attention (separate weights).
        cross_attn_cfg (dict): :class:`DualProjectionMSDA` config.
        ffn_cfg (dict): mmcv ``FFN`` config, for both paths (built as
            :class:`RowFFN`).
        norm_cfg (dict): Norm config. Defaults to LayerNorm.
        dropout (float): Dropout on the cross-attention outputs. Defaults to
            0.1.
        aggregation (str): ``'weighted'`` (softmax over frames of a linear
            layer on the box queries, official), ``'average'`` or ``'sum'``.
        query_decompose (bool): Keep per-frame box queries from layer to
            layer (official). If False, every layer starts the box queries
            afresh from the instance query (the ablation of paper Table 3).
    """

    def __init__(self,
                 self_attn_cfg: ConfigType = dict(
                     embed_dims=256,
                     num_heads=8,
                     attn_drop=0.1,
                     proj_drop=0.1,
                     batch_first=True),
                 cross_attn_cfg: ConfigType = dict(
                     embed_dims=256,
                     num_heads=8,
                     num_levels=4,
                     num_points=4,
                     im2col_step=64),
                 ffn_cfg: ConfigType = dict(
                     embed_dims=256,
                     feedforward_channels=1024,
                     num_fcs=2,
                     ffn_drop=0.1,
                     act_cfg=dict(type='ReLU', inplace=True)),
                 norm_cfg: OptConfigType = dict(type='LN'),
                 dropout: float = 0.1,
                 aggregation: str = 'weighted',
                 query_decompose: bool = True,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if aggregation not in AGGREGATIONS:
            raise ValueError(f'aggregation must be one of {AGGREGATIONS}, '
                             f'got {aggregation!r}')
        self.aggregation = aggregation
        self.query_decompose = query_decompose
        self.self_attn = MultiheadAttention(**self_attn_cfg)
        self.self_attn_box = MultiheadAttention(**self_attn_cfg)
        self.cross_attn = DualProjectionMSDA(**cross_attn_cfg)
        self.embed_dims = self.self_attn.embed_dims
        self.ffn = RowFFN(**ffn_cfg)
        self.ffn_box = RowFFN(**ffn_cfg)
        # norms[0] after self-attention, [1] after cross-attention, [2] FFN.
        self.norms = ModuleList(
            [build_norm_layer(norm_cfg, self.embed_dims)[1] for _ in range(3)])
        self.norms_box = ModuleList(
            [build_norm_layer(norm_cfg, self.embed_dims)[1] for _ in range(3)])
        self.dropout = nn.Dropout(dropout)
        self.dropout_box = nn.Dropout(dropout)
        # Only the weighted aggregation has parameters (an unused layer
        # would make DDP fail without find_unused_parameters).
        self.frame_weight_fc = nn.Linear(
            self.embed_dims, 1) if aggregation == 'weighted' else None

    def forward(
            self,
            inst_query: Tensor,
            box_query: Tensor,
            query_pos: Tensor,
            value: Tensor,
            key_padding_mask: Tensor,
            reference_points: Tensor,
            spatial_shapes: Tensor,
            level_start_index: Tensor,
            embedding_frames: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor]:
        """Update the instance query and the per-frame box queries.

        Args:
            inst_query (Tensor): (bs, Q, C) instance queries.
            box_query (Tensor): (bs, T_b, Q, C) box queries, where ``T_b`` is
                T, or 1 when all frames share them (the first layer).
            query_pos (Tensor): (bs, Q, C) positional queries.
            value (Tensor): (bs * T, V, C) encoder memory.
            key_padding_mask (Tensor): (bs * T, V), True where padded.
            reference_points (Tensor): (bs * T, Q, L, 2 or 4) references
                already scaled by the valid ratios.
            spatial_shapes (Tensor): (L, 2) level sizes (h, w).
            level_start_index (Tensor): (L, ) level starts in ``V``.
            embedding_frames (Tensor, optional): Indices of the frames whose
                features build the instance query (paper Table 6); all
                frames when None. Box queries are updated in every frame.

        Returns:
            tuple[Tensor, Tensor]: The new instance queries (bs, Q, C) and
            box queries (bs, T, Q, C).
        """
        box_query, inst_feats = self.box_path(box_query, query_pos, value,
                                              key_padding_mask,
                                              reference_points, spatial_shapes,
                                              level_start_index)
        if embedding_frames is None:
            aggregated = self.aggregate(inst_feats, box_query)
        else:
            aggregated = self.aggregate(inst_feats[:, embedding_frames],
                                        box_query[:, embedding_frames])
        return self.instance_path(inst_query, query_pos, aggregated), box_query

    def box_path(self, box_query: Tensor, query_pos: Tensor, value: Tensor,
                 key_padding_mask: Tensor, reference_points: Tensor,
                 spatial_shapes: Tensor,
                 level_start_index: Tensor) -> Tuple[Tensor, Tensor]:
        """Steps 2-4: everything a layer does inside each frame.

        It never reads the instance query, and frame t only reads frame t,
        so it can run on any subset of the frames (streaming inference).

        Args:
            box_query, query_pos, value, key_padding_mask, reference_points,
            spatial_shapes, level_start_index: as in :meth:`forward`.

        Returns:
            tuple[Tensor, Tensor]: The new box queries (bs, T, Q, C) and the
            instance-path features ``A_t`` (bs, T, Q, C).
        """
        bs, _, num_query, dims = box_query.shape
        num_frames = value.shape[0] // bs
        box_query = self._box_self_attention(box_query, query_pos)
        # (bs, T_b, Q, C) -> (bs * T, Q, C): layer 1 shares the box query.
        box_query = box_query.expand(bs, num_frames, num_query,
                                     dims).reshape(bs * num_frames, num_query,
                                                   dims)
        pos = query_pos.repeat_interleave(num_frames, 0)
        inst_feats, box_feats = self.cross_attn(
            query=box_query + pos,
            value=value,
            reference_points=reference_points,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            key_padding_mask=key_padding_mask)
        box_query = self.norms_box[1](box_query + self.dropout_box(box_feats))
        box_query = self.norms_box[2](self.ffn_box(box_query))
        return (box_query.view(bs, num_frames, num_query, dims),
                inst_feats.view(bs, num_frames, num_query, dims))

    def instance_path(self, inst_query: Tensor, query_pos: Tensor,
                      aggregated: Tensor) -> Tensor:
        """Steps 1 and 5: update the instance queries from the aggregated
        per-frame features.

        Args:
            inst_query (Tensor): (bs, Q, C).
            query_pos (Tensor): (bs, Q, C).
            aggregated (Tensor): (bs, Q, C) output of :meth:`aggregate`.

        Returns:
            Tensor: (bs, Q, C) the new instance queries.
        """
        inst_query = self.norms[0](
            self.self_attn(
                query=inst_query,
                key=inst_query,
                value=inst_query,
                query_pos=query_pos,
                key_pos=query_pos))
        inst_query = self.norms[1](inst_query + self.dropout(aggregated))
        return self.norms[2](self.ffn(inst_query))

    def _box_self_attention(self, box_query: Tensor,
                            query_pos: Tensor) -> Tensor:
        """Self-attention among the box queries of each frame separately."""
        bs, num_frames, num_query, dims = box_query.shape
        # (bs, T_b, Q, C) -> (bs * T_b, Q, C): frames never attend each other.
        flat = box_query.reshape(bs * num_frames, num_query, dims)
        pos = query_pos.repeat_interleave(num_frames, 0)
        flat = self.norms_box[0](
            self.self_attn_box(
                query=flat, key=flat, value=flat, query_pos=pos, key_pos=pos))
        return flat.view(bs, num_frames, num_query, dims)

    def aggregate(self, inst_feats: Tensor, box_query: Tensor) -> Tensor:
        """Combine the per-frame instance features over time.

        Args:
            inst_feats (Tensor): (bs, T, Q, C) instance-path features.
            box_query (Tensor): (bs, T, Q, C) updated box queries.

        Returns:
            Tensor: (bs, Q, C).
        """
        return FrameAggregation(self.aggregation).update(
            inst_feats, self.frame_logits(box_query)).result()

    def frame_weights(self, box_query: Tensor) -> Tensor:
        """Softmax over frames of ``frame_weight_fc(box_query)``.

        Args:
            box_query (Tensor): (bs, T, Q, C).

        Returns:
            Tensor: (bs, T, Q, 1), summing to one over T.
        """
        return self.frame_logits(box_query).softmax(1)

    def frame_logits(self, box_query: Tensor) -> Optional[Tensor]:
        """Unnormalised frame weights, (bs, T, Q, 1), from (bs, T, Q, C);
        None unless the aggregation is weighted."""
        if self.frame_weight_fc is None:
            return None
        return self.frame_weight_fc(box_query)


class SeqFormerDecoder(BaseModule):
    """Stack of :class:`SeqFormerDecoderLayer` with per-frame box refinement.

    Args:
        num_layers (int): Number of layers. Defaults to 6.
        layer_cfg (dict): Config of each layer.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_layers: int = 6,
                 layer_cfg: ConfigType = dict(),
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = ModuleList(
            [SeqFormerDecoderLayer(**layer_cfg) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.embed_dims = self.layers[0].embed_dims

    @property
    def aggregations(self) -> List[str]:
        """Each layer's aggregation over frames."""
        return [layer.aggregation for layer in self.layers]

    @property
    def query_decompose(self) -> bool:
        """Whether every layer keeps per-frame box queries (so the box
        path never reads the instance query)."""
        return all(layer.query_decompose for layer in self.layers)

    def forward(
        self,
        query: Tensor,
        query_pos: Tensor,
        value: Tensor,
        key_padding_mask: Tensor,
        reference_points: Tensor,
        spatial_shapes: Tensor,
        level_start_index: Tensor,
        valid_ratios: Tensor,
        reg_branches: nn.ModuleList,
        embedding_frames: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor, List, List]:
        """Run all layers, refining each frame's boxes after every layer.

        Args:
            query (Tensor): (bs, Q, C) content queries; both paths start
                from them.
            query_pos (Tensor): (bs, Q, C) positional queries.
            value (Tensor): (bs * T, V, C) encoder memory.
            key_padding_mask (Tensor): (bs * T, V), True where padded.
            reference_points (Tensor): (bs, T, Q, 2) initial (x, y)
                references, normalised to the valid image.
            spatial_shapes (Tensor): (L, 2) level sizes (h, w).
            level_start_index (Tensor): (L, ) level starts in ``V``.
            valid_ratios (Tensor): (bs * T, L, 2) valid fraction (w, h) of
                each frame's padded level.
            reg_branches (nn.ModuleList): One box MLP per layer.
            embedding_frames (Tensor, optional): Frames that build the
                instance queries (see :class:`SeqFormerDecoderLayer`).

        Returns:
            tuple: instance queries (num_layers, bs, Q, C); box queries
            (num_layers, bs, T, Q, C); per layer, the predicted boxes
            (bs, T, Q, 4) in normalised (cx, cy, w, h) (with gradient); and
            the references input to each layer: (bs, T, Q, 2) for the first,
            (bs, T, Q, 4) detached boxes after.
        """
        inst_query = query
        box_query = query[:, None]  # (bs, 1, Q, C), shared by all frames
        inst_out, box_out, boxes, references = [], [], [], [reference_points]
        for layer, reg_branch in zip(self.layers, reg_branches):
            reference = references[-1]
            if not layer.query_decompose:
                box_query = inst_query[:, None]
            inst_query, box_query = layer(
                inst_query, box_query, query_pos, value, key_padding_mask,
                scale_references(reference, valid_ratios), spatial_shapes,
                level_start_index, embedding_frames)
            box = refine_boxes(reg_branch(box_query), reference)
            inst_out.append(inst_query)
            box_out.append(box_query)
            boxes.append(box)
            references.append(box.detach())
        return (torch.stack(inst_out), torch.stack(box_out), boxes,
                references[:-1])

    def box_path(self, query: Tensor, query_pos: Tensor, value: Tensor,
                 key_padding_mask: Tensor, reference_points: Tensor,
                 spatial_shapes: Tensor, level_start_index: Tensor,
                 valid_ratios: Tensor,
                 reg_branches: nn.ModuleList) -> Tuple[List, List, List]:
        """The box path of every layer, for any subset of the frames.

        With query decomposition the box path never reads the instance
        query, so inference runs it on the frames as they come and the
        instance path on the aggregated features (:meth:`instance_path`).

        Args:
            As in :meth:`forward`, for the frames at hand.

        Returns:
            tuple[list, list, list]: per layer, box queries (bs, T, Q, C),
            instance-path features (bs, T, Q, C) and the references input
            to the layer ((bs, T, Q, 2) then (bs, T, Q, 4)).
        """
        if not self.query_decompose:
            raise ValueError('the box path depends on the instance query '
                             'without query decomposition; run the whole '
                             'video at once')
        box_query = query[:, None]
        box_out, feats_out, references = [], [], [reference_points]
        for layer, reg_branch in zip(self.layers, reg_branches):
            reference = references[-1]
            box_query, inst_feats = layer.box_path(
                box_query, query_pos, value, key_padding_mask,
                scale_references(reference, valid_ratios), spatial_shapes,
                level_start_index)
            box_out.append(box_query)
            feats_out.append(inst_feats)
            references.append(
                refine_boxes(reg_branch(box_query), reference).detach())
        return box_out, feats_out, references[:-1]

    def instance_path(self, query: Tensor, query_pos: Tensor,
                      aggregated: Sequence[Tensor]) -> Tensor:
        """The instance path of every layer from its aggregated features.

        Args:
            query (Tensor): (bs, Q, C) content queries.
            query_pos (Tensor): (bs, Q, C) positional queries.
            aggregated (Sequence[Tensor]): per layer, (bs, Q, C) the
                aggregated instance-path features of all frames.

        Returns:
            Tensor: (num_layers, bs, Q, C) instance queries.
        """
        inst_query, inst_out = query, []
        for layer, layer_aggregated in zip(self.layers, aggregated):
            inst_query = layer.instance_path(inst_query, query_pos,
                                             layer_aggregated)
            inst_out.append(inst_query)
        return torch.stack(inst_out)


def scale_references(reference: Tensor, valid_ratios: Tensor) -> Tensor:
    """Normalised references to the padded frame, one copy per level.

    Args:
        reference (Tensor): (bs, T, Q, 2 or 4) in [0, 1] of the valid image.
        valid_ratios (Tensor): (bs * T, L, 2) valid (w, h) fractions.

    Returns:
        Tensor: (bs * T, Q, L, 2 or 4).
    """
    return reference.flatten(0, 1)[:, :, None] * torch.cat(
        [valid_ratios] * (reference.shape[-1] // 2), -1)[:, None]


def refine_boxes(deltas: Tensor, reference: Tensor) -> Tensor:
    """Boxes from a box MLP's output and the layer's input reference.

    With a 2-d reference (first layer) only the centre is offset; with a
    4-d one, all four coordinates (Deformable DETR's iterative refinement).

    Args:
        deltas (Tensor): (..., 4) MLP output, in logit space.
        reference (Tensor): (..., 2) points or (..., 4) boxes in [0, 1].

    Returns:
        Tensor: (..., 4) boxes (cx, cy, w, h) in [0, 1].
    """
    if reference.shape[-1] == 4:
        return (deltas + inverse_sigmoid(reference)).sigmoid()
    centre = deltas[..., :2] + inverse_sigmoid(reference)
    return torch.cat([centre, deltas[..., 2:]], -1).sigmoid()
