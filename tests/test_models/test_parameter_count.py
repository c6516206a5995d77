"""The R50 model has the official parameter count.

The paper's Table 1 says 49.3M. The official code's model has 48,404,173
parameters (``docs/notes/official_behaviour.md`` §1.9: 48.40M): its state
dict (``tests/data/official_r50_keys.json``, the keys and shapes the
official code's own R50 model has) without the duplicated keys (the
``transformer.decoder.bbox_embed`` copies of ``bbox_embed``) and without
the frozen BN tensors (buffers in its ``FrozenBatchNorm2d``).
"""
import json
import math
import os.path as osp
import re

from mmdet.registry import MODELS
from mmengine.config import Config

from mmseqformer.testing import REPO_ROOT

C, LAYERS = 256, 6
#: mmdet's frozen BN keeps weight and bias as Parameters: 2 x the channels
#: of ResNet-50's 53 BN layers.
BN_AFFINE = 53_120


def official_parameter_count() -> int:
    """Parameters of the official R50 model, from its state-dict layout."""
    with open(osp.join(REPO_ROOT, 'tests/data/official_r50_keys.json')) as f:
        shapes = json.load(f)
    frozen_bn = re.compile(r'^detr\.backbone\..*\.(bn\d|downsample\.1)\.')
    return sum(
        math.prod(shape) for key, shape in shapes.items()
        if not frozen_bn.match(key)
        and not key.startswith('detr.transformer.decoder.bbox_embed.'))


def test_the_official_layout_has_the_documented_count():
    assert official_parameter_count() == 48_404_173


def test_r50_model_has_the_official_parameter_count():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/_base_/models/seqformer_r50.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    ours = sum(p.numel() for p in model.parameters())
    # The documented differences from the official layout:
    unused_encoder_box_proj = LAYERS * (C * C + C)  # dead official weights
    dummy_class_rows = LAYERS * 2 * (C + 1)  # 42 official logits vs 40
    assert ours - BN_AFFINE + unused_encoder_box_proj + dummy_class_rows == \
        official_parameter_count()
