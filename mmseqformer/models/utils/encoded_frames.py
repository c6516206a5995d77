"""What the encoder hands to SeqFormer's head: every frame, encoded alone.

Shape legend: ``bs`` clips, ``T`` frames per clip, ``C`` embed_dims, ``L``
levels, ``V`` = sum of H_l * W_l of one frame, ``D`` mask channels.
"""
from dataclasses import dataclass
from typing import List, Optional

from torch import Tensor


@dataclass
class EncodedFrames:
    """Encoder outputs of ``num_clips`` clips of ``num_frames`` frames each,
    frames folded into the batch clip-major.

    Attributes:
        memory (Tensor): (bs * T, V, C) encoder output.
        memory_mask (Tensor, optional): (bs * T, V), True where padded; None
            when no frame is padded.
        spatial_shapes (Tensor): (L, 2) level sizes (h, w).
        level_start_index (Tensor): (L, ) level starts in ``V``.
        valid_ratios (Tensor): (bs * T, L, 2) valid (w, h) fraction of each
            frame's padded levels.
        mask_inputs (list[Tensor]): the stride 8/16/32 maps
            (bs * T, C, H_l, W_l) for the mask branch.
        num_clips (int): bs.
        num_frames (int): T.
    """
    memory: Tensor
    memory_mask: Optional[Tensor]
    spatial_shapes: Tensor
    level_start_index: Tensor
    valid_ratios: Tensor
    mask_inputs: List[Tensor]
    num_clips: int
    num_frames: int
