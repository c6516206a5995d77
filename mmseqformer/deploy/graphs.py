"""SeqFormer's three inference steps as modules with tensor inputs only,
the form ``torch.onnx.export`` traces.

Each wraps one of the model's network steps (the calls
:class:`~mmseqformer.models.vis.SeqFormerEngine` makes), so the graphs
compute what PyTorch computes; traced, the steps take their traceable form
(:mod:`mmseqformer.ops.traceable_sampling`).

Shape legend: ``t`` frames, ``num_layers`` decoder layers, ``Q`` queries, ``C``
embed_dims, ``K`` classes, ``D`` mask feature channels, ``h, w`` the
stride-8 size, ``n`` chosen queries.
"""
from typing import Tuple

from mmdet.structures import DetDataSample
from torch import Tensor, nn

#: Input and output names of each graph (the ONNX Runtime model uses them).
FRAME_INPUTS = ('frames', )
FRAME_OUTPUTS = ('inst_feats', 'frame_logits', 'references', 'mask_feats',
                 'appearance_feats')
INSTANCE_INPUTS = ('aggregated', )
INSTANCE_OUTPUTS = ('cls_logits', 'inst_queries')
MASK_INPUTS = ('mask_feats', 'inst_queries', 'references', 'image_size')
MASK_OUTPUTS = ('mask_logits', )


class FramePathsGraph(nn.Module):
    """Backbone, neck, encoder, every decoder layer's box path, the mask
    features and the encoder's stride-8 map of t frames
    (:meth:`SeqFormer.frame_paths`).

    Args:
        model (SeqFormer): The model, in eval mode, with query
            decomposition.
        weighted (bool): Whether the layers aggregate frames by weights
            (then ``frame_logits`` is an output).
    """

    def __init__(self, model: nn.Module, weighted: bool) -> None:
        super().__init__()
        self.model = model
        self.weighted = weighted

    def output_names(self) -> Tuple[str, ...]:
        return tuple(name for name in FRAME_OUTPUTS
                     if self.weighted or name != 'frame_logits')

    def forward(self, frames: Tensor) -> Tuple[Tensor, ...]:
        """
        Args:
            frames (Tensor): (t, 3, H, W) normalised, unpadded frames.

        Returns:
            tuple[Tensor]: ``inst_feats`` (num_layers, t, Q, C),
            ``frame_logits`` (num_layers, t, Q, 1) if weighted,
            ``references`` (t, Q, 4), ``mask_feats`` (t, D, h, w) and
            ``appearance_feats`` (t, C, h, w).
        """
        height, width = frames.shape[-2:]
        # Unpadded frames: the encoder builds no padding mask (it never
        # does while exporting) and needs only these two sizes. Set as
        # fields: the metainfo constructor deep-copies them, which torch
        # < 2.2 refuses for the tracer's size tensors.
        frame = DetDataSample()
        for name in ('img_shape', 'batch_input_shape'):
            frame.set_field((height, width), name, field_type='metainfo')
        record = self.model.frame_paths(frames[None], [frame])
        outputs = [record.inst_feats]
        if self.weighted:
            outputs.append(record.frame_logits)
        return tuple(
            outputs +
            [record.references, record.mask_feats, record.appearance_feats])


class InstancePathGraph(nn.Module):
    """Every layer's instance path and the last layer's class logits
    (:meth:`SeqFormer.instance_path`).

    Args:
        model (SeqFormer): The model, in eval mode.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, aggregated: Tensor) -> Tuple[Tensor, Tensor]:
        """
        Args:
            aggregated (Tensor): (num_layers, Q, C) every layer's aggregated
                frame features.

        Returns:
            tuple[Tensor, Tensor]: class logits (Q, K) and instance queries
            (Q, C) of the last layer.
        """
        return self.model.instance_path(
            [layer[None] for layer in aggregated.unbind(0)])


class InstanceMasksGraph(nn.Module):
    """The dynamic mask head (:meth:`SeqFormer.instance_masks`).

    Args:
        model (SeqFormer): The model, in eval mode.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, mask_feats: Tensor, inst_queries: Tensor,
                references: Tensor, image_size: Tensor) -> Tensor:
        """
        Args:
            mask_feats (Tensor): (t, D, h, w).
            inst_queries (Tensor): (n, C).
            references (Tensor): (t, n, 4).
            image_size (Tensor): (2, ) float (width, height) of the input.

        Returns:
            Tensor: (n, t, 2h, 2w) stride-4 mask logits.
        """
        return self.model.instance_masks(mask_feats, inst_queries, references,
                                         image_size)
