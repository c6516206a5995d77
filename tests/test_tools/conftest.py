"""Fixtures of the tool tests."""
import pytest
import torch

from mmseqformer.testing import noisy_tiny_vis_model


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A tiny SeqFormer with random weights that draws large masks, saved
    with its class names."""
    model = noisy_tiny_vis_model()
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(model.dataset_meta))), path)
    return path
