"""Batch norms folded into convolutions: the same backbone outputs, no
batch norm left."""
import pytest
import torch
from mmdet.models.backbones import ResNet
from torch import nn

from mmseqformer.ops import fold_batch_norms


def _backbone(depth: int) -> nn.Module:
    """An mmdet ResNet as SeqFormer configs build it, with batch norms
    whose statistics and affine parameters are far from the identity."""
    torch.manual_seed(depth)
    backbone = ResNet(
        depth=depth,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True)
    for module in backbone.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5)
            module.running_var.uniform_(0.2, 3.0)
            module.weight.data.normal_(1, 0.3)
            module.bias.data.normal_(0, 0.3)
    backbone.eval()  # (mmdet's ResNet.train returns None)
    return backbone


def _batch_norms(module: nn.Module) -> int:
    return sum(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in module.modules())


@pytest.mark.parametrize('depth', [18, 50])
def test_folded_backbone_gives_the_same_maps(depth):
    backbone = _backbone(depth).double()
    frames = torch.randn(2, 3, 64, 96, dtype=torch.float64)
    with torch.no_grad():
        expected = backbone(frames)
        assert _batch_norms(backbone) > 0
        fold_batch_norms(backbone)
        folded = backbone(frames)
    assert _batch_norms(backbone) == 0
    assert len(folded) == len(expected) == 3
    for got, want in zip(folded, expected):
        # float64: only the order of the products differs.
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_folded_backbone_in_float32():
    backbone = _backbone(50)
    frames = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = backbone(frames)
        folded = fold_batch_norms(backbone)(frames)
    for got, want in zip(folded, expected):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_a_training_backbone_is_refused():
    backbone = _backbone(18)
    backbone.train()
    with pytest.raises(ValueError, match='eval mode'):
        fold_batch_norms(backbone)
