"""A SeqFormer small enough for unit tests on a CPU (about a second).

It is the R50 model of ``configs/_base_/models/seqformer_r50.py`` with only
the sizes changed, so tests exercise the configured architecture. Like
mmdet's ``get_detector_cfg``, it reads the shipped configs (a checkout's
or an installed wheel's).
"""
import copy
import os.path as osp

from mmengine.config import Config

from ..utils.config_lookup import shipped_configs_dir

R50_CONFIG = osp.join(shipped_configs_dir(), '_base_/models/seqformer_r50.py')

#: embed_dims 32, 2 heads, 2 points, 1 encoder and 2 decoder layers, no
#: dropout, 5 queries, 3 classes, 4 dynamic mask channels; ResNet-18 at a
#: quarter width with the official freezing (stem + stage 1, frozen BN).
TINY_OVERRIDES = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        # Frozen BN from scratch: a zero-initialised last BN would keep the
        # residual branches dead forever.
        zero_init_residual=False,
        init_cfg=None),
    neck=dict(
        in_channels=[32, 64, 128],
        out_channels=32,
        norm_cfg=dict(type='GN', num_groups=8)),
    encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=32, num_heads=2, num_points=2, dropout=0.0),
            ffn_cfg=dict(embed_dims=32, feedforward_channels=64,
                         ffn_drop=0.0))),
    positional_encoding=dict(num_feats=16),
    track_head=dict(
        num_classes=3,
        embed_dims=32,
        num_queries=5,
        decoder=dict(
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=32, num_heads=2, attn_drop=0.0, proj_drop=0.0),
                cross_attn_cfg=dict(embed_dims=32, num_heads=2, num_points=2),
                ffn_cfg=dict(
                    embed_dims=32, feedforward_channels=64, ffn_drop=0.0),
                dropout=0.0)),
        mask_branch=dict(mid_channels=16, out_channels=4),
        mask_head=dict(feat_channels=4)))

#: The tiny official model of ``tests/data/official_tiny/`` (made with the
#: official code by
#: ``tools/analysis_tools/official/make_official_fixtures.py``), on top of
#: :data:`TINY_OVERRIDES`: a backbone at a sixteenth of ResNet-18's width
#: (channels 4-32), 2 encoder and 3 decoder layers, and the sizes the
#: official code fixes: GN with 32 groups, 300 queries (its inference
#: hard-codes them), 42 classes (YouTube-VIS), a mask branch with C/4 and
#: C/32 channels and 8 dynamic-conv channels.
OFFICIAL_TINY_OVERRIDES = dict(
    backbone=dict(base_channels=4),
    neck=dict(
        in_channels=[8, 16, 32], norm_cfg=dict(type='GN', num_groups=32)),
    encoder=dict(num_layers=2),
    track_head=dict(
        num_classes=42,
        num_queries=300,
        decoder=dict(num_layers=3),
        mask_branch=dict(mid_channels=8, out_channels=1),
        mask_head=dict(feat_channels=8, in_channels=1)))


def official_tiny_seqformer_cfg() -> dict:
    """The config of the tiny official model, as a plain dict."""
    cfg = Config.fromfile(R50_CONFIG)
    cfg.merge_from_dict(dict(model=copy.deepcopy(TINY_OVERRIDES)))
    cfg.merge_from_dict(dict(model=copy.deepcopy(OFFICIAL_TINY_OVERRIDES)))
    return cfg.model.to_dict()


def tiny_seqformer_cfg(**head_overrides) -> dict:
    """The tiny model config as a plain dict, with head keys overridden."""
    cfg = Config.fromfile(R50_CONFIG)
    cfg.merge_from_dict(dict(model=copy.deepcopy(TINY_OVERRIDES)))
    model = cfg.model.to_dict()
    model['track_head'].update(head_overrides)
    return model
