"""Every config in configs/ parses, and its parts are registered/buildable."""
import glob
import os.path as osp

import pytest
from mmdet.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseqformer.testing import REPO_ROOT

CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs/**/*.py'), recursive=True))


def transform_types(pipeline):
    for transform in pipeline:
        yield transform['type']
        for inner in transform.get('transforms', []):
            yield from transform_types(
                inner if isinstance(inner, list) else [inner])


@pytest.mark.parametrize('config', CONFIGS)
def test_config_parses_and_its_parts_are_registered(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    init_default_scope('mmdet')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if loader not in cfg:
            continue
        dataset = cfg[loader]['dataset']
        for part in dataset.get('datasets', [dataset]):  # ConcatDataset
            assert DATASETS.get(part['type']) is not None
            for name in transform_types(part['pipeline']):
                assert TRANSFORMS.get(name) is not None, name
    if 'val_evaluator' in cfg:
        assert METRICS.get(cfg.val_evaluator['type']) is not None
    if 'model' in cfg:
        # Building does not load pretrained weights (init_weights does).
        model = MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0


def test_dataset_variants_override_only_what_differs():
    base = 'configs/_base_/datasets/'
    ytvis19 = Config.fromfile(osp.join(REPO_ROOT, base, 'youtube_vis_2019.py'))
    ovis = Config.fromfile(osp.join(REPO_ROOT, base, 'ovis.py'))
    assert len(ytvis19.classes) == 40 and len(ovis.classes) == 25
    assert ovis.train_dataloader.dataset.metainfo.classes == ovis.classes
    assert ovis.train_dataloader.dataset.pipeline == \
        ytvis19.train_dataloader.dataset.pipeline
    assert ytvis19.train_pipeline[0] == dict(
        type='SeqFormerClipSample', num_frames=5)
