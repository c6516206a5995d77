"""Convert official SeqFormer state dicts to mmseqformer's, and back.

Forward: keys renamed by :mod:`.official_keys`; the unused encoder
``output_proj_box`` weights and the class-head rows that mmdet's 0-based
labels do not use are kept aside (``extra``) rather than lost, so the
reverse conversion restores the official file exactly; the duplicated box
heads are checked equal and dropped; BN layers get the
``num_batches_tracked`` counter mmdet's BN expects. Swin backbones (official
Swin names, ``patch_embed``/``layers``/``norm{i}``) go through mmdet's own
``swin_converter`` (renames and the patch-merging channel reordering);
:func:`swin_to_official` undoes it.
"""
import re
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.models.backbones.swin import swin_converter
from torch import Tensor

from mmseqformer.utils.checkpoint_fit import \
    check_state_dict_fits as _check_fits
from .official_keys import (DUPLICATED_OFFICIAL, UNUSED_OFFICIAL,
                            official_to_ours, ours_to_official)

CLASS_WEIGHT = re.compile(r'^detr\.class_embed\.\d+\.(weight|bias)$')
#: YouTube-VIS official heads: index = category id, rows 0 and 41 unused.
YTVIS_CLASS_ROWS = tuple(range(1, 41))


class CheckpointConversionError(ValueError):
    """A checkpoint does not fit; the message lists the offending keys."""


def official_to_mmseqformer(
    state: Dict[str, Tensor],
    class_rows: Optional[Sequence[int]] = YTVIS_CLASS_ROWS
) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
    """Rename an official state dict into mmseqformer's layout.

    Args:
        state (dict[str, Tensor]): The official ``model`` state dict.
        class_rows (Sequence[int], optional): Rows of the class heads to keep,
            in label order (YouTube-VIS: 1..40). None drops the class heads
            (COCO-pretrained files, whose heads the official code drops too).

    Returns:
        tuple[dict, dict]: Our state dict; the official tensors not carried
        over (for :func:`mmseqformer_to_official`).
    """
    ours, extra, unknown = {}, {}, []
    for name, tensor in state.items():
        if any(re.match(p, name) for p in UNUSED_OFFICIAL):
            extra[name] = tensor
            continue
        twin = _duplicate_of(name)
        if twin is not None:
            if twin in state and not torch.equal(state[twin], tensor):
                raise CheckpointConversionError(
                    f'{name} should repeat {twin} but differs')
            continue
        target = official_to_ours(name)
        if target is None:
            unknown.append(name)
            continue
        if CLASS_WEIGHT.match(name):
            extra[name] = tensor
            if class_rows is None:
                continue
            tensor = tensor[list(class_rows)]
        ours[target] = tensor
        if name.endswith('running_var'):
            ours[target.replace('running_var', 'num_batches_tracked')] = \
                torch.tensor(0)
    if unknown:
        raise CheckpointConversionError(
            'keys the converter does not know (no rule maps them):\n  ' +
            '\n  '.join(sorted(unknown)))
    return _map_backbone(ours, swin_converter), extra


def mmseqformer_to_official(
        ours: Dict[str, Tensor],
        extra: Optional[Dict[str, Tensor]] = None,
        class_rows: Sequence[int] = YTVIS_CLASS_ROWS,
        num_official_classes: int = 42) -> Dict[str, Tensor]:
    """The reverse of :func:`official_to_mmseqformer`.

    Tensors saved in ``extra`` are put back as they were; without them the
    unused encoder projections are left out and the class rows we do not
    have are filled with the official bias init (-4.595) and zero weights.

    Args:
        ours (dict[str, Tensor]): Our state dict.
        extra (dict[str, Tensor], optional): What the forward conversion set
            aside.
        class_rows (Sequence[int]): Official rows of our labels.
        num_official_classes (int): Official class-head size (42).

    Returns:
        dict[str, Tensor]: The official ``model`` state dict.
    """
    extra = dict(extra or {})
    official, unknown = {}, []
    ours = _map_backbone(ours, swin_to_official)
    for name, tensor in ours.items():
        if name.endswith('num_batches_tracked'):
            continue
        target = ours_to_official(name)
        if target is None:
            unknown.append(name)
            continue
        if CLASS_WEIGHT.match(target):
            tensor = _official_class_rows(tensor, extra.get(target),
                                          class_rows, num_official_classes)
        official[target] = tensor
    if unknown:
        raise CheckpointConversionError(
            'keys without an official counterpart:\n  ' +
            '\n  '.join(sorted(unknown)))
    for name, tensor in extra.items():
        official.setdefault(name, tensor)
    for duplicate, original in DUPLICATED_OFFICIAL.items():
        for name in [n for n in official if n.startswith(original)]:
            official[duplicate + name[len(original):]] = official[name]
    return official


def _map_backbone(state: Dict[str, Tensor], convert) -> Dict[str, Tensor]:
    """Apply ``convert`` to the backbone weights if they are a Swin's."""
    backbone = {
        name[len('backbone.'):]: tensor
        for name, tensor in state.items() if name.startswith('backbone.')
    }
    if not any(name.startswith('patch_embed.') for name in backbone):
        return state  # ResNet / ResNeXt: official names are mmdet's
    result = {
        name: tensor
        for name, tensor in state.items() if not name.startswith('backbone.')
    }
    result.update(
        (name if name.startswith('backbone.') else 'backbone.' + name, tensor)
        for name, tensor in convert(backbone).items())
    return result


#: mmdet Swin name piece -> official piece, for :func:`swin_to_official`.
_SWIN_RENAMES = (('attn.w_msa.', 'attn.'), ('ffn.layers.0.0.', 'mlp.fc1.'),
                 ('ffn.layers.1.', 'mlp.fc2.'), ('patch_embed.projection.',
                                                 'patch_embed.proj.'))


def swin_to_official(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """The inverse of mmdet's ``swin_converter`` (without the ``backbone.``
    prefix): mmdet Swin names and patch-merging channel order back to the
    official Swin's.

    mmdet's patch merging unfolds 2x2 patches channel-major, the official
    one concatenates the four pixels ``[(0,0), (1,0), (0,1), (1,1)]``;
    ``swin_converter`` reorders official weights one way, this the other.
    """
    official = {}
    for name, tensor in state.items():
        if name.startswith('stages.'):
            name = name.replace('stages.', 'layers.', 1)
            if '.downsample.reduction.' in name:
                tensor = _unfold_to_concat_order(tensor)
            elif '.downsample.norm.' in name:
                tensor = _unfold_to_concat_order(tensor[None])[0]
        for ours, theirs in _SWIN_RENAMES:
            name = name.replace(ours, theirs)
        official[name] = tensor
    return official


def _unfold_to_concat_order(weight: Tensor) -> Tensor:
    """(out, 4 * c) columns from unfold order (c-major, then the 4 pixels)
    to concatenation order (pixel-major)."""
    out_channels, in_channels = weight.shape
    # Column j * 4 + p (unfold) -> column p * c + j (concat), pixels 1 and 2
    # swapped (unfold walks the 2x2 patch row-major, the concat column-major).
    weight = weight.reshape(out_channels, in_channels // 4, 4).transpose(1, 2)
    return weight[:, [0, 2, 1, 3]].reshape(out_channels, in_channels)


def _duplicate_of(name: str) -> Optional[str]:
    """The key that ``name`` repeats, if it is a duplicate."""
    for duplicate, original in DUPLICATED_OFFICIAL.items():
        if name.startswith(duplicate):
            return original + name[len(duplicate):]
    return None


def _official_class_rows(tensor: Tensor, original: Optional[Tensor],
                         class_rows: Sequence[int], size: int) -> Tensor:
    """Put our class rows back at their official indices."""
    if original is not None:
        full = original.clone()
    elif tensor.dim() == 2:
        full = tensor.new_zeros((size, tensor.shape[1]))
    else:
        full = tensor.new_full((size, ), -4.59511985013459)
    full[list(class_rows)] = tensor
    return full


def check_state_dict_fits(state: Dict[str, Tensor],
                          reference: Dict[str, Tensor]) -> None:
    """Raise, listing every missing, unexpected or misshapen key.

    The check itself is
    :func:`mmseqformer.utils.checkpoint_fit.check_state_dict_fits`,
    shared with the tools that load checkpoints.

    Args:
        state (dict[str, Tensor]): The converted state dict.
        reference (dict[str, Tensor]): The model's own state dict.
    """
    _check_fits(state, reference, error=CheckpointConversionError)
