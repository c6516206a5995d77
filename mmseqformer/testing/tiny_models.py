"""Tiny SeqFormers with every weight perturbed, for tests and benchmarks on
a CPU: the official initialisation zeroes some layers (sampling offsets,
box heads), which would leave paths without values or gradients, and
noise makes the masks large and varied.
"""
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from ..utils.config_lookup import find_config
from .tiny_seqformer import tiny_seqformer_cfg

#: The ``make demo`` model's config (ResNet-18 at 1/4 width): fast on a CPU;
#: a path from the repository root, as the tools take it.
TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'

#: The shipped demo model (the tiny SeqFormer trained by ``make
#: demo-model``, float16) and its config, paths from the repository root:
#: the tests' trained model.
DEMO_MODEL = 'checkpoints/seqformer_r18-tiny_synthetic_fp16.pth'
DEMO_MODEL_CONFIG = ('configs/seqformer/'
                     'seqformer_r18-tiny_1xb2-10000it_synthetic-demo-model.py')


def perturb_weights(model: nn.Module, noise: float) -> nn.Module:
    """Add Gaussian noise of std ``noise`` to every weight (the global
    random state draws it)."""
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * noise)
    return model


def noisy_tiny_vis_model(noise: float = 0.05,
                         seed: int = 0,
                         frame_weight_scale: float = 1.0) -> nn.Module:
    """The demo config's model as ``init_vis_model`` builds it (eval mode,
    ``cfg`` and ``dataset_meta`` attached), weights perturbed;
    ``frame_weight_scale`` multiplies the decoder's frame-weight layers (20
    makes the weights over frames far from uniform, so that how frames are
    aggregated matters). Its batch norms stay (``fold_bn=False``), so that the
    perturbation reaches them and the tests' reference values hold."""
    from ..apis import init_vis_model
    torch.manual_seed(seed)
    model = init_vis_model(
        Config.fromfile(find_config(TINY_CONFIG)), fold_bn=False)
    perturb_weights(model, noise)
    with torch.no_grad():
        for layer in model.track_head.decoder.layers:
            layer.frame_weight_fc.weight.mul_(frame_weight_scale)
    return model


def perturbed_tiny_seqformer(noise: float = 0.02) -> nn.Module:
    """The model of :func:`tiny_seqformer_cfg` (seed 0), official
    initialisation, weights perturbed."""
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(tiny_seqformer_cfg())
    model.init_weights()
    return perturb_weights(model, noise)
