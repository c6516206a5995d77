"""Swin backbones in official checkpoints: names and patch-merging order."""
import pytest
import torch
from mmdet.models.backbones.swin import PatchMerging
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

from mmseqformer.models.utils import (check_state_dict_fits,
                                      mmseqformer_to_official,
                                      official_to_mmseqformer,
                                      swin_to_official)
from mmseqformer.testing import tiny_seqformer_cfg

#: The tiny model's 3 labels in an official-style 5-row class head.
ROWS = (1, 2, 3)
#: A small Swin with the Swin-L config's structure (outputs of stages 2-4).
TINY_SWIN = dict(
    type='SwinTransformer',
    pretrain_img_size=64,
    embed_dims=16,
    depths=[2, 2, 2, 2],
    num_heads=[1, 2, 2, 4],
    window_size=4,
    out_indices=(1, 2, 3),
    convert_weights=True,
    init_cfg=None)


@pytest.fixture(scope='module')
def swin_state():
    init_default_scope('mmdet')  # module fixtures run before the autouse one
    cfg = tiny_seqformer_cfg()
    cfg['backbone'] = TINY_SWIN
    cfg['neck']['in_channels'] = [32, 64, 128]
    torch.manual_seed(0)
    state = MODELS.build(cfg).state_dict()
    return {k: torch.randn_like(v.float()) for k, v in state.items()}


def test_swin_keys_take_official_names_and_come_back(swin_state):
    official = mmseqformer_to_official(
        swin_state, class_rows=ROWS, num_official_classes=5)
    body = 'detr.backbone.0.body.'
    for name in ('patch_embed.proj.weight',
                 'layers.0.blocks.1.attn.qkv.weight',
                 'layers.3.blocks.0.attn.relative_position_bias_table',
                 'layers.2.blocks.0.mlp.fc1.bias', 'layers.1.blocks.1.mlp.fc2'
                 '.weight', 'layers.0.downsample.reduction.weight',
                 'layers.2.downsample.norm.bias', 'norm3.weight'):
        assert body + name in official, name
    assert not any('stages' in k or 'w_msa' in k or 'ffn' in k
                   for k in official if k.startswith(body))
    # The official backbone also has a norm on stage 0's output, unused.
    official[body + 'norm0.weight'] = torch.randn(16)
    ours, extra = official_to_mmseqformer(official, class_rows=ROWS)
    check_state_dict_fits(ours, swin_state)
    for name, tensor in swin_state.items():
        assert torch.equal(ours[name], tensor), name
    back = mmseqformer_to_official(
        ours, extra, class_rows=ROWS, num_official_classes=5)
    assert set(back) == set(official)
    assert all(torch.equal(back[k], v) for k, v in official.items())


def official_patch_merging(x, height, width, norm, reduction):
    """The official Swin PatchMerging: concatenate the pixels (0, 0),
    (1, 0), (0, 1), (1, 1) of each 2x2 patch (row offset first), then
    LayerNorm and a linear layer. x: (B, H * W, C)."""
    x = x.view(x.shape[0], height, width, -1)
    x = torch.cat([
        x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]
    ], -1).flatten(1, 2)
    return reduction(norm(x))


def test_converted_patch_merging_computes_what_the_official_one_does():
    torch.manual_seed(0)
    merging = PatchMerging(in_channels=6, out_channels=12)
    with torch.no_grad():
        merging.norm.weight.normal_()
        merging.norm.bias.normal_()
    ours = {
        f'stages.0.downsample.{k}': v
        for k, v in merging.state_dict().items()
    }
    official = swin_to_official(ours)
    norm = torch.nn.LayerNorm(24)
    reduction = torch.nn.Linear(24, 12, bias=False)
    norm.load_state_dict(
        {k.split('.')[-1]: v
         for k, v in official.items() if '.norm.' in k})
    reduction.weight.data = official['layers.0.downsample.reduction.weight']
    x = torch.randn(2, 4 * 6, 6)
    expected = official_patch_merging(x, 4, 6, norm, reduction)
    actual, _ = merging(x, (4, 6))
    torch.testing.assert_close(actual, expected)
