"""Key mapping between official SeqFormer checkpoints and mmseqformer.

The official layout is described in ``docs/notes/official_behaviour.md`` §8.
Rules are ordered ``(official regex, ours)`` pairs applied to the official
name; the first match wins. Keys that the official model stores but never
uses, or stores twice, are listed in :data:`UNUSED_OFFICIAL` and
:data:`DUPLICATED_OFFICIAL`.
"""
import re
from typing import List, Optional, Tuple

_ENC = r'detr\.transformer\.encoder\.layers\.(\d+)\.'
_DEC = r'detr\.transformer\.decoder\.layers\.(\d+)\.'
_MSDA = r'(sampling_offsets|attention_weights|value_proj|output_proj|' \
    r'output_proj_box)'

#: (official pattern, mmseqformer replacement), first match wins.
RULES: List[Tuple[str, str]] = [
    (r'^detr\.backbone\.0\.body\.(.*)$', r'backbone.\1'),
    (r'^detr\.input_proj\.([0-2])\.0\.(.*)$', r'neck.convs.\1.conv.\2'),
    (r'^detr\.input_proj\.([0-2])\.1\.(.*)$', r'neck.convs.\1.gn.\2'),
    (r'^detr\.input_proj\.3\.0\.(.*)$', r'neck.extra_convs.0.conv.\1'),
    (r'^detr\.input_proj\.3\.1\.(.*)$', r'neck.extra_convs.0.gn.\1'),
    (r'^detr\.query_embed\.(.*)$', r'track_head.query_embedding.\1'),
    (r'^detr\.transformer\.level_embed$', r'level_embed'),
    (r'^detr\.transformer\.reference_points\.(.*)$',
     r'track_head.reference_points_fc.\1'),
    # Encoder: post-norm layers; norm1 after attention, norm2 after FFN.
    (rf'^{_ENC}self_attn\.{_MSDA}\.(.*)$', r'encoder.layers.\1.self_attn.\2.\3'
     ),
    (rf'^{_ENC}norm1\.(.*)$', r'encoder.layers.\1.norms.0.\2'),
    (rf'^{_ENC}norm2\.(.*)$', r'encoder.layers.\1.norms.1.\2'),
    (rf'^{_ENC}linear1\.(.*)$', r'encoder.layers.\1.ffn.layers.0.0.\2'),
    (rf'^{_ENC}linear2\.(.*)$', r'encoder.layers.\1.ffn.layers.1.\2'),
    # Decoder: norm2 after self-attention, norm1 after cross-attention,
    # norm3 after the FFN; the same for the box path.
    (rf'^{_DEC}cross_attn\.{_MSDA}\.(.*)$',
     r'track_head.decoder.layers.\1.cross_attn.\2.\3'),
    (rf'^{_DEC}self_attn\.(.*)$',
     r'track_head.decoder.layers.\1.self_attn.attn.\2'),
    (rf'^{_DEC}self_attn_box\.(.*)$',
     r'track_head.decoder.layers.\1.self_attn_box.attn.\2'),
    (rf'^{_DEC}norm2\.(.*)$', r'track_head.decoder.layers.\1.norms.0.\2'),
    (rf'^{_DEC}norm1\.(.*)$', r'track_head.decoder.layers.\1.norms.1.\2'),
    (rf'^{_DEC}norm3\.(.*)$', r'track_head.decoder.layers.\1.norms.2.\2'),
    (rf'^{_DEC}norm2_box\.(.*)$',
     r'track_head.decoder.layers.\1.norms_box.0.\2'),
    (rf'^{_DEC}norm1_box\.(.*)$',
     r'track_head.decoder.layers.\1.norms_box.1.\2'),
    (rf'^{_DEC}norm3_box\.(.*)$',
     r'track_head.decoder.layers.\1.norms_box.2.\2'),
    (rf'^{_DEC}linear1\.(.*)$',
     r'track_head.decoder.layers.\1.ffn.layers.0.0.\2'),
    (rf'^{_DEC}linear2\.(.*)$',
     r'track_head.decoder.layers.\1.ffn.layers.1.\2'),
    (rf'^{_DEC}linear1_box\.(.*)$',
     r'track_head.decoder.layers.\1.ffn_box.layers.0.0.\2'),
    (rf'^{_DEC}linear2_box\.(.*)$',
     r'track_head.decoder.layers.\1.ffn_box.layers.1.\2'),
    (rf'^{_DEC}time_attention_weights\.(.*)$',
     r'track_head.decoder.layers.\1.frame_weight_fc.\2'),
    (r'^detr\.class_embed\.(\d+)\.(.*)$', r'track_head.cls_branches.\1.\2'),
    (r'^detr\.bbox_embed\.(\d+)\.(.*)$', r'track_head.reg_branches.\1.\2'),
    (r'^controller\.(.*)$', r'track_head.mask_head.controller.\1'),
    (r'^mask_head\.lay3\.(.*)$', r'track_head.mask_branch.conv32.\1'),
    (r'^mask_head\.lay4\.(.*)$', r'track_head.mask_branch.conv16.\1'),
    (r'^mask_head\.dcn\.(.*)$', r'track_head.mask_branch.conv8.\1'),
    (r'^mask_head\.lay1\.(.*)$', r'track_head.mask_branch.conv_mid.\1'),
    (r'^mask_head\.lay2\.(.*)$', r'track_head.mask_branch.conv_out.\1'),
]

#: Official keys of parameters the official model never uses.
UNUSED_OFFICIAL = [
    rf'^{_ENC}self_attn\.output_proj_box\.',
    # Swin: the official backbone builds a norm for stage 0's output too.
    r'^detr\.backbone\.0\.body\.norm0\.',
]
#: Official key prefixes that repeat another prefix (the same module
#: registered twice): duplicate -> original.
DUPLICATED_OFFICIAL = {
    'detr.transformer.decoder.bbox_embed.': 'detr.bbox_embed.'
}

#: Official loss term -> ours (the last decoder layer's; the others carry a
#: layer suffix, ``loss_ce_0`` -> ``d0.loss_cls``).
LOSS_NAMES = dict(
    loss_ce='loss_cls',
    loss_bbox='loss_bbox',
    loss_giou='loss_iou',
    loss_mask='loss_mask',
    loss_dice='loss_dice')


def official_loss_to_ours(name: str) -> str:
    """Our name of an official ``SetCriterion`` loss term.

    Raises:
        KeyError: For a term we do not compute.
    """
    if name in LOSS_NAMES:
        return LOSS_NAMES[name]
    base, _, layer = name.rpartition('_')
    return f'd{layer}.{LOSS_NAMES[base]}'


def official_to_ours(name: str) -> Optional[str]:
    """Our key for an official key, or None when no rule matches."""
    for pattern, replacement in RULES:
        if re.match(pattern, name):
            return re.sub(pattern, replacement, name)
    return None


def ours_to_official(name: str) -> Optional[str]:
    """The official key for one of ours (the inverse of :data:`RULES`)."""
    for pattern, replacement in RULES:
        official = _invert(pattern, replacement, name)
        if official is not None:
            return official
    return None


def _invert(pattern: str, replacement: str, name: str) -> Optional[str]:
    """Apply a rule backwards by turning the replacement into a pattern."""
    groups = re.findall(r'\(([^()]*(?:\([^()]*\))*[^()]*)\)', pattern)
    reverse = re.escape(replacement)
    for index, group in enumerate(groups, start=1):
        reverse = reverse.replace(re.escape(f'\\{index}'), f'({group})', 1)
    match = re.fullmatch(reverse, name)
    if match is None:
        return None
    official = pattern.strip('^$')
    for group, value in zip(groups, match.groups()):
        official = official.replace(f'({group})', value, 1)
    official = official.replace('\\.', '.')
    if '\\' in official or '(' in official:
        return None
    return official
