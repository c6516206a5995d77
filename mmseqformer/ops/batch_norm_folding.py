"""Batch norms folded into the convolutions before them, for inference.

At inference a batch norm is a fixed per-channel scale and shift, so
``bn(conv(x))`` equals one convolution with weights ``w * s`` and bias
``(b - mean) * s + beta`` (``s = gamma / sqrt(var + eps)``). Folded, the
backbone skips a full read and write of every normalised feature map and
its allocation: on the CPU the ResNet-50's batch norms were about 5% of
video inference (docs/benchmarks.md), on a GPU they are a kernel launch
each. Deployment toolkits (and ONNX export, by constant folding) do the
same.
"""
from mmcv.cnn import fuse_conv_bn
from torch import nn


def fold_batch_norms(backbone: nn.Module) -> nn.Module:
    """Fold ``backbone``'s batch norms into their convolutions, in place.

    mmcv's ``fuse_conv_bn`` pairs a batch norm with the convolution
    registered just before it among its siblings, which is the order in
    which mmdet's ResNet blocks (stem, ``BasicBlock``, ``Bottleneck``,
    ``downsample``) apply them; the norms become ``nn.Identity``. Only for
    a model that no longer trains: the statistics are baked in and the
    parameter names change (``bn1.*`` gone).

    Args:
        backbone (nn.Module): In eval mode.

    Returns:
        nn.Module: ``backbone`` itself.
    """
    if backbone.training:
        raise ValueError('fold_batch_norms needs a module in eval mode: '
                         'training batch norms use batch statistics')
    return fuse_conv_bn(backbone)
