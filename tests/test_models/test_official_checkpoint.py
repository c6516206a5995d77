"""Official checkpoint layout <-> mmseqformer: names, round trip, refusals."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmseqformer.models.utils import (CheckpointConversionError,
                                      check_state_dict_fits,
                                      mmseqformer_to_official,
                                      official_to_mmseqformer)
from mmseqformer.models.utils.official_keys import (DUPLICATED_OFFICIAL,
                                                    official_to_ours)
from mmseqformer.testing import REPO_ROOT

R50 = osp.join(REPO_ROOT, 'configs/_base_/models/seqformer_r50.py')
#: {key: shape} of the official R50 model (inference.py defaults).
R50_KEYS = osp.join(REPO_ROOT, 'tests/data/official_r50_keys.json')

#: Official names from docs/notes/official_behaviour.md §8 and where they
#: must land.
OFFICIAL_NAMES = {
    'detr.backbone.0.body.layer3.5.bn2.running_var':
    'backbone.layer3.5.bn2.running_var',
    'detr.input_proj.1.0.weight': 'neck.convs.1.conv.weight',
    'detr.input_proj.3.1.bias': 'neck.extra_convs.0.gn.bias',
    'detr.query_embed.weight': 'track_head.query_embedding.weight',
    'detr.transformer.level_embed': 'level_embed',
    'detr.transformer.reference_points.weight':
    'track_head.reference_points_fc.weight',
    'detr.transformer.encoder.layers.4.norm2.bias':
    'encoder.layers.4.norms.1.bias',
    'detr.transformer.decoder.layers.1.norm2.weight':
    'track_head.decoder.layers.1.norms.0.weight',
    'detr.transformer.decoder.layers.1.norm1_box.weight':
    'track_head.decoder.layers.1.norms_box.1.weight',
    'detr.transformer.decoder.layers.2.self_attn_box.in_proj_weight':
    'track_head.decoder.layers.2.self_attn_box.attn.in_proj_weight',
    'detr.transformer.decoder.layers.0.cross_attn.output_proj_box.weight':
    'track_head.decoder.layers.0.cross_attn.output_proj_box.weight',
    'detr.transformer.decoder.layers.5.linear2_box.bias':
    'track_head.decoder.layers.5.ffn_box.layers.1.bias',
    'detr.transformer.decoder.layers.3.time_attention_weights.weight':
    'track_head.decoder.layers.3.frame_weight_fc.weight',
    'detr.bbox_embed.2.layers.2.weight':
    'track_head.reg_branches.2.layers.2.weight',
    'controller.layers.2.bias':
    'track_head.mask_head.controller.layers.2.bias',
    'mask_head.lay3.weight': 'track_head.mask_branch.conv32.weight',
    'mask_head.dcn.bias': 'track_head.mask_branch.conv8.bias',
    'mask_head.lay2.weight': 'track_head.mask_branch.conv_out.weight',
}


@pytest.fixture(scope='module')
def r50_model():
    cfg = Config.fromfile(R50)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


@pytest.fixture(scope='module')
def r50_state(r50_model):
    return r50_model.state_dict()


def real_official():
    """The real official R50 layout: every key and shape the official
    ``inference.py`` model has (dumped from the official code by
    ``tools/analysis_tools/official/make_official_fixtures.py``), each tensor a
    constant of its own (an expanded scalar: no memory), the same for the
    box heads the official model registers twice."""
    with open(R50_KEYS) as file:
        shapes = json.load(file)
    values = {name: float(index) for index, name in enumerate(sorted(shapes))}
    official = {}
    for name, shape in shapes.items():
        original = name
        for duplicate, prefix in DUPLICATED_OFFICIAL.items():
            if name.startswith(duplicate):
                original = prefix + name[len(duplicate):]
        official[name] = torch.tensor(values[original]).expand(shape)
    return official


@pytest.mark.parametrize('official, ours', sorted(OFFICIAL_NAMES.items()))
def test_official_names_map_to_ours(official, ours):
    assert official_to_ours(official) == ours


def test_real_official_layout_converts_and_loads_strictly(r50_model):
    official = real_official()
    assert len(official) == 733  # the official R50 key count (§8)
    assert official['detr.class_embed.0.weight'].shape == (42, 256)
    ours, extra = official_to_mmseqformer(official)
    check_state_dict_fits(ours, r50_model.state_dict())
    r50_model.load_state_dict(ours, strict=True)
    loaded = r50_model.state_dict()
    for name in ('detr.transformer.level_embed',
                 'detr.backbone.0.body.layer4.2.bn3.running_var',
                 'detr.transformer.decoder.layers.5.norm1_box.bias',
                 'mask_head.dcn.weight'):
        assert torch.equal(loaded[official_to_ours(name)], official[name])
    # Labels 0..39 are official rows 1..40.
    class_rows = torch.arange(42.0)[:, None].expand(42, 256)
    official['detr.class_embed.3.weight'] = class_rows
    ours, _ = official_to_mmseqformer(official)
    torch.testing.assert_close(ours['track_head.cls_branches.3.weight'],
                               class_rows[1:41])


def test_round_trip_of_the_real_layout_is_lossless():
    official = real_official()
    ours, extra = official_to_mmseqformer(official)
    back = mmseqformer_to_official(ours, extra)
    assert set(back) == set(official)
    for name, tensor in official.items():
        assert back[name].shape == tensor.shape, name
        assert torch.equal(back[name], tensor), name


def test_unknown_key_is_named():
    official = real_official()
    official['detr.transformer.decoder.layers.0.extra_gate.weight'] = \
        torch.zeros(1)
    with pytest.raises(
            CheckpointConversionError,
            match=r'does not know[\s\S]*extra_gate\.weight'):
        official_to_mmseqformer(official)


def test_missing_and_misshapen_keys_are_named(r50_state):
    ours, _ = official_to_mmseqformer(real_official())
    del ours['level_embed']
    ours['track_head.query_embedding.weight'] = torch.zeros(100, 512)
    with pytest.raises(CheckpointConversionError) as info:
        check_state_dict_fits(ours, r50_state)
    message = str(info.value)
    assert 'missing from the checkpoint:\n  level_embed' in message
    assert 'track_head.query_embedding.weight: (100, 512) in the ' \
        'checkpoint, (300, 512) in the model' in message


@pytest.mark.slow
def test_converter_tool_round_trip(tmp_path):
    official = real_official()
    src = tmp_path / 'official.pth'
    torch.save({'model': official, 'epoch': 11}, src)
    tool = osp.join(
        REPO_ROOT,
        'tools/model_converters/seqformer_official_to_mmseqformer.py')
    subprocess.run([
        sys.executable, tool,
        str(src),
        str(tmp_path / 'ours.pth'), '--config', R50
    ],
                   check=True,
                   capture_output=True)
    subprocess.run([
        sys.executable, tool,
        str(tmp_path / 'ours.pth'),
        str(tmp_path / 'back.pth'), '--reverse'
    ],
                   check=True,
                   capture_output=True)
    back = torch.load(tmp_path / 'back.pth', weights_only=False)['model']
    assert set(back) == set(official)
    assert all(torch.equal(back[k], v) for k, v in official.items())
