"""Shared fixtures: a small synthetic dataset made once per test session,
mmdet's default scope. The helpers tests share (tiny models, tool runs,
synthetic videos) are in :mod:`mmseqformer.testing`."""
import pytest
from mmengine.registry import init_default_scope

from mmseqformer.datasets.synthetic import SyntheticVISSpec, make_synthetic_vis

#: Small enough for tests, large enough to hold every case of the generator.
SMALL_SPEC = SyntheticVISSpec(
    seed=2,
    num_train_videos=8,
    num_valid_videos=5,
    max_frames=6,
    max_objects=3)


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory) -> str:
    """Root folder of a small synthetic dataset (both layouts)."""
    root = str(tmp_path_factory.mktemp('data') / 'synthetic_vis')
    make_synthetic_vis(root, SMALL_SPEC)
    return root


@pytest.fixture(autouse=True)
def mmdet_default_scope():
    """Build transforms, datasets and metrics from mmdet's registries, as a
    Runner with mmdet's default runtime does (again before every test: a
    Runner built by a test switches the scope)."""
    init_default_scope('mmdet')
