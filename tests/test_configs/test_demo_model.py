"""The shipped demo model: small float16 weights that load strictly into
their config, named where the Makefile and the docs name them."""
import os.path as osp
import re

import torch

from mmseqformer.apis import init_vis_model
from mmseqformer.testing import DEMO_MODEL, DEMO_MODEL_CONFIG, REPO_ROOT


def makefile_value(name: str) -> str:
    with open(osp.join(REPO_ROOT, 'Makefile')) as f:
        match = re.search(rf'^{name} \?= (.+)$', f.read(), re.MULTILINE)
    return match.group(1).strip()


def test_the_makefile_names_the_shipped_model_and_its_config():
    assert makefile_value('DEMO_MODEL') == DEMO_MODEL
    assert makefile_value('DEMO_MODEL_CONFIG') == DEMO_MODEL_CONFIG


def test_the_weights_are_small_float16_with_the_dataset_meta():
    path = osp.join(REPO_ROOT, DEMO_MODEL)
    assert osp.getsize(path) < 5 * 2**20
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    floats = [
        t for t in checkpoint['state_dict'].values() if t.is_floating_point()
    ]
    assert floats and all(t.dtype == torch.float16 for t in floats)
    assert checkpoint['meta']['dataset_meta']['classes'] == ('ellipse',
                                                             'rectangle',
                                                             'triangle')


def test_the_weights_load_strictly_into_the_config():
    model = init_vis_model(
        osp.join(REPO_ROOT, DEMO_MODEL_CONFIG),
        osp.join(REPO_ROOT, DEMO_MODEL))
    assert next(model.parameters()).dtype == torch.float32
    assert model.dataset_meta['classes'] == ('ellipse', 'rectangle',
                                             'triangle')
