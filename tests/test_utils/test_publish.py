"""Published weights: the model's tensors (float16 on request) and the
dataset metadata, nothing of the training's state."""
import pytest
import torch

from mmseqformer.utils import CheckpointMismatchError, published_checkpoint


def training_checkpoint():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    meta = dict(dataset_meta=dict(classes=('a', 'b'), cat_ids=(2, 5)), epoch=3)
    return model, dict(
        state_dict=state,
        meta=meta,
        optimizer=optimizer.state_dict(),
        message_hub=dict(x=1))


def test_keeps_weights_and_dataset_meta_only():
    model, checkpoint = training_checkpoint()
    published = published_checkpoint(checkpoint)
    assert set(published) == {'state_dict', 'meta'}
    assert published['meta'] == dict(
        dataset_meta=dict(classes=('a', 'b'), cat_ids=(2, 5)))
    expected = model.state_dict()
    assert set(published['state_dict']) == set(expected)  # no 'module.'
    for key, value in expected.items():
        assert torch.equal(published['state_dict'][key], value)


def test_half_casts_floats_and_keeps_integers():
    model, checkpoint = training_checkpoint()
    state = published_checkpoint(checkpoint, half=True)['state_dict']
    assert state['0.weight'].dtype == torch.float16
    assert state['1.num_batches_tracked'].dtype == torch.int64
    assert torch.equal(state['0.weight'], model[0].weight.detach().half())
    # The model casts them back when it loads them.
    copy = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    copy.load_state_dict(state)
    assert copy[0].weight.dtype == torch.float32
    torch.testing.assert_close(
        copy[0].weight, model[0].weight.detach(), rtol=1e-3, atol=1e-3)


def test_a_checkpoint_without_tensors_is_refused():
    with pytest.raises(CheckpointMismatchError, match='no state dict'):
        published_checkpoint(dict(meta={}, state_dict={}))
    with pytest.raises(CheckpointMismatchError, match='no state dict'):
        published_checkpoint(dict(state_dict=dict(a='text')))
