"""SeqFormer's mask branch and dynamic mask head.

The official behaviour is in ``docs/notes/official_behaviour.md`` §1.7.
Modified from the official ``models/segmentation.py`` (wjf5203/SeqFormer,
MIT): the algorithm is reproduced, the code is not.

Shape legend: ``F`` frames (all clips' frames folded), ``T`` frames of one
clip, ``n`` instances, ``D`` = ``feat_channels`` (8), ``h, w`` the stride-8
size, ``C`` embed_dims.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.layers.transformer import MLP
from mmdet.models.utils import aligned_bilinear
from mmengine.model import BaseModule
from torch import Tensor, nn


class MaskBranch(BaseModule):
    """Top-down branch from encoder levels 8/16/32 to a D-channel map.

    ``x = relu(conv32(M32))``; ``x = relu(conv16(M16 + up(x)))``;
    ``x = relu(conv8(M8 + up(x)))``; then two 3x3 convs down to D channels,
    each followed by a ReLU (the official code ends with a ReLU too). ``up``
    is nearest-neighbour resizing.

    Args:
        in_channels (int): Channels of the encoder memory. Defaults to 256.
        mid_channels (int): Channels before the output conv. Defaults to 64.
        out_channels (int): D. Defaults to 8.
    """

    def __init__(self,
                 in_channels: int = 256,
                 mid_channels: int = 64,
                 out_channels: int = 8) -> None:
        super().__init__()
        self.conv32 = nn.Conv2d(in_channels, in_channels, 3, padding=1)
        self.conv16 = nn.Conv2d(in_channels, in_channels, 3, padding=1)
        self.conv8 = nn.Conv2d(in_channels, in_channels, 3, padding=1)
        self.conv_mid = nn.Conv2d(in_channels, mid_channels, 3, padding=1)
        self.conv_out = nn.Conv2d(mid_channels, out_channels, 3, padding=1)

    def init_weights(self) -> None:
        """``kaiming_uniform_(a=1)`` and zero bias, as official."""
        for conv in self.children():
            nn.init.kaiming_uniform_(conv.weight, a=1)
            nn.init.zeros_(conv.bias)

    def forward(self, mlvl_memory: Sequence[Tensor]) -> Tensor:
        """Build the mask features.

        Args:
            mlvl_memory (Sequence[Tensor]): Encoder memory at strides 8, 16
                and 32, each (F, C, H_l, W_l).

        Returns:
            Tensor: (F, D, h, w) mask features at stride 8.
        """
        memory8, memory16, memory32 = mlvl_memory[:3]
        x = F.relu(self.conv32(memory32))
        x = memory16 + F.interpolate(x, size=memory16.shape[-2:])
        x = F.relu(self.conv16(x))
        x = memory8 + F.interpolate(x, size=memory8.shape[-2:])
        x = F.relu(self.conv8(x))
        return F.relu(self.conv_out(F.relu(self.conv_mid(x))))


def dynamic_param_sizes(
        feat_channels: int,
        num_layers: int,
        rel_coord: bool,
        in_channels: Optional[int] = None) -> Tuple[List[int], List[int]]:
    """Weight and bias sizes of the dynamic 1x1 convs.

    Args:
        feat_channels (int): Channels of the hidden dynamic convs.
        num_layers (int): Dynamic conv layers.
        rel_coord (bool): Two relative-coordinate channels come first.
        in_channels (int, optional): Mask-feature channels read by the
            first conv; defaults to ``feat_channels``.

    Returns:
        tuple[list[int], list[int]]: e.g. ([80, 64, 8], [8, 8, 1]) for 8
        channels, 3 layers and relative coordinates (169 in all).
    """
    in_channels = feat_channels if in_channels is None else in_channels
    if rel_coord:
        in_channels += 2
    channels = [in_channels] + [feat_channels] * (num_layers - 1) + [1]
    weights = [cin * cout for cin, cout in zip(channels[:-1], channels[1:])]
    return weights, channels[1:]


def stride_centres(height: int, width: int, stride: int,
                   device: torch.device) -> Tensor:
    """(x, y) pixel centres of a stride-``stride`` grid, (h, w, 2)."""
    ys = torch.arange(height, device=device, dtype=torch.float32)
    xs = torch.arange(width, device=device, dtype=torch.float32)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([grid_x, grid_y], -1) * stride + stride // 2


class DynamicMaskHead(BaseModule):
    """Per-instance 1x1 convs generated from the instance embedding.

    The controller MLP maps each instance query to the parameters of
    ``num_layers`` 1x1 convs, laid out as all weights then all biases
    (``[W1 | W2 | W3 | b1 | b2 | b3]``, each weight output-channel major).
    Their input is ``[rel_x, rel_y, f_0 .. f_{D-1}]``, where ``rel`` is the
    instance centre minus the pixel centre, in input-image pixels and not
    normalised (official). The stride-8 logits are upsampled x2 with
    ``aligned_bilinear``.

    Args:
        embed_dims (int): Instance query channels. Defaults to 256.
        feat_channels (int): Channels of the hidden dynamic convs.
            Defaults to 8.
        num_layers (int): Dynamic conv layers. Defaults to 3.
        rel_coord (bool): Add relative coordinates. Defaults to True.
        feat_stride (int): Stride of the mask features. Defaults to 8.
        out_stride (int): Stride of the output masks. Defaults to 4.
        in_channels (int, optional): D, the mask-feature channels (the mask
            branch's ``out_channels``). Defaults to ``feat_channels``, as in
            every released model (8 and 8). The official code reads
            ``embed_dims // 32`` features into 8-channel convs, which only
            differs for models narrower than 256 channels.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 feat_channels: int = 8,
                 num_layers: int = 3,
                 rel_coord: bool = True,
                 feat_stride: int = 8,
                 out_stride: int = 4,
                 in_channels: Optional[int] = None) -> None:
        super().__init__()
        self.feat_channels = feat_channels
        self.rel_coord = rel_coord
        self.feat_stride = feat_stride
        self.upsample = feat_stride // out_stride
        self.weight_sizes, self.bias_sizes = dynamic_param_sizes(
            feat_channels, num_layers, rel_coord, in_channels)
        self.num_params = sum(self.weight_sizes) + sum(self.bias_sizes)
        self.controller = MLP(embed_dims, embed_dims, self.num_params, 3)

    def init_weights(self) -> None:
        """Xavier weights and zero biases in the controller, as official."""
        for layer in self.controller.layers:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def split_params(self,
                     params: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        """Cut (n, num_params) into per-layer weights and biases.

        Returns:
            tuple: weights, each (n, out, in); biases, each (n, out).
        """
        pieces = params.split(self.weight_sizes + self.bias_sizes, dim=1)
        weights = pieces[:len(self.weight_sizes)]
        biases = pieces[len(self.weight_sizes):]
        weights = [
            # shape[0], not len(): a trace keeps it symbolic (ONNX export).
            w.reshape(params.shape[0], out,
                      size // out) for w, size, out in zip(
                          weights, self.weight_sizes, self.bias_sizes)
        ]
        return weights, list(biases)

    def forward(self, mask_feats: Tensor, inst_query: Tensor, centres: Tensor,
                image_size: Tuple[float, float]) -> Tensor:
        """Mask logits of ``n`` instances in every frame of one clip.

        Args:
            mask_feats (Tensor): (T, D, h, w) the clip's mask features.
            inst_query (Tensor): (n, C) instance embeddings.
            centres (Tensor): (n, T, 2) instance centres (x, y) per frame,
                normalised to the unpadded image.
            image_size (tuple[float, float]): (width, height) of the
                unpadded input image, to turn centres into pixels.

        Returns:
            Tensor: (n, T, out_h, out_w) mask logits at ``out_stride``.
        """
        num_inst, num_frames = centres.shape[:2]
        height, width = mask_feats.shape[-2:]
        weights, biases = self.split_params(self.controller(inst_query))
        # (T, D, h, w) -> (n, T, D, h * w): every instance sees every frame.
        x = mask_feats.flatten(2)[None].expand(num_inst, -1, -1, -1)
        if self.rel_coord:
            x = torch.cat(
                [self.relative_coords(centres, height, width, image_size), x],
                2)
        for index, (weight, bias) in enumerate(zip(weights, biases)):
            # A 1x1 conv per instance: (n, o, i) x (n, T, i, p).
            x = torch.einsum('noi,ntip->ntop', weight, x) + bias[:, None, :,
                                                                 None]
            if index < len(weights) - 1:
                x = F.relu(x)
        logits = x.view(num_inst * num_frames, 1, height, width)
        logits = aligned_bilinear(logits, self.upsample)
        return logits.view(num_inst, num_frames, *logits.shape[-2:])

    def relative_coords(self, centres: Tensor, height: int, width: int,
                        image_size: Tuple[float, float]) -> Tensor:
        """(n, T, 2, h * w) centre minus pixel location, in pixels."""
        scale = centres.new_tensor(image_size)
        centres_px = centres * scale  # (n, T, 2)
        locations = stride_centres(height, width, self.feat_stride,
                                   centres.device).view(-1, 2)
        rel = centres_px[:, :, None, :] - locations[None, None]
        return rel.permute(0, 1, 3, 2)
