"""Training on pairs of clips: the split, and the association loss."""
import math

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

from mmseqformer.models.losses import ClipAssociationLoss
from mmseqformer.models.utils import split_track_samples
from mmseqformer.testing import demo_track_batch, tiny_seqformer_cfg


def brute_force_loss(embeddings, object_ids, temperature):
    """The loss written out anchor by anchor, in float64."""
    terms = []
    for units, ids in zip(embeddings.double(), object_ids):
        units = units / units.norm(dim=-1, keepdim=True)
        for i in range(len(units)):
            for j in range(len(units)):
                for q, obj in enumerate(ids[i].tolist()):
                    if i == j or obj < 0 or obj not in ids[j].tolist():
                        continue
                    p = ids[j].tolist().index(obj)
                    logits = [(units[i, q] @ units[j, r]).item() / temperature
                              for r in range(units.shape[1])]
                    log_sum = math.log(sum(math.exp(x) for x in logits))
                    terms.append(log_sum - logits[p])
    return sum(terms) / len(terms)


def test_loss_equals_the_formula():
    torch.manual_seed(0)
    embeddings = torch.randn(2, 3, 4, 8)
    # Objects in one clip only (9, 13), unmatched queries, and objects
    # matched in every clip.
    object_ids = torch.tensor([
        [[5, -1, 7, 9], [-1, 7, 5, -1], [7, -1, -1, 5]],
        [[-1, 3, -1, -1], [3, -1, -1, 13], [-1, -1, 3, -1]],
    ])
    loss = ClipAssociationLoss(temperature=0.2, loss_weight=2.0)
    expected = 2.0 * brute_force_loss(embeddings, object_ids, 0.2)
    assert loss(embeddings, object_ids).item() == pytest.approx(
        expected, rel=1e-5)


def test_loss_is_low_when_an_object_keeps_its_embedding():
    torch.manual_seed(0)
    ids = torch.tensor([[[0, 1, 2, -1], [2, -1, 0, 1]]])
    base = torch.randn(4, 16)
    aligned = torch.stack([base, base[[2, 3, 0, 1]]])[None]
    shuffled = torch.stack([base, base])[None]
    loss = ClipAssociationLoss(temperature=0.1)
    assert loss(aligned, ids) < 0.5 * loss(shuffled, ids)


def test_no_shared_object_gives_zero_with_a_gradient_path():
    embeddings = torch.randn(1, 2, 3, 4, requires_grad=True)
    ids = torch.tensor([[[0, -1, -1], [-1, 1, -1]]])
    loss = ClipAssociationLoss()(embeddings, ids)
    assert loss.item() == 0
    loss.backward()
    assert embeddings.grad is not None


def test_bad_temperature():
    with pytest.raises(ValueError, match='temperature'):
        ClipAssociationLoss(temperature=0)


@pytest.fixture(scope='module')
def paired_model():
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_seqformer_cfg(
            clips_per_sample=2,
            association_loss=dict(type='ClipAssociationLoss')))
    model.init_weights()
    return model.train()


def test_split_clips_are_trained_as_separate_clips(paired_model):
    """A sample of 4 frames split into two clips has the losses of the
    two 2-frame clips fed as a batch: the encoder sees each frame alone."""
    data = demo_track_batch(paired_model, num_frames=4)
    torch.manual_seed(1)
    losses = paired_model(**data, mode='loss')
    assert losses['loss_assoc'] > 0

    halves = dict(
        inputs=data['inputs'].reshape(-1, 2, *data['inputs'].shape[2:]),
        data_samples=split_track_samples(data['data_samples'], 2))
    paired_model.track_head.clips_per_sample = 1
    association = paired_model.track_head.association_loss
    paired_model.track_head.association_loss = None
    try:
        torch.manual_seed(1)
        separate = paired_model(**halves, mode='loss')
    finally:
        paired_model.track_head.clips_per_sample = 2
        paired_model.track_head.association_loss = association
    assert set(losses) == set(separate) | {'loss_assoc'}
    for key, value in separate.items():
        torch.testing.assert_close(losses[key], value, msg=key)


def test_association_gradient_reaches_the_decoder(paired_model):
    data = demo_track_batch(paired_model, num_frames=4)
    paired_model.zero_grad()
    paired_model(**data, mode='loss')['loss_assoc'].backward()
    grads = [
        p.grad for p in paired_model.track_head.decoder.parameters()
        if p.grad is not None and p.grad.any()
    ]
    assert grads
    assert paired_model.neck.convs[0].conv.weight.grad.any()


def test_split_keeps_frame_order():
    model_cfg = tiny_seqformer_cfg()
    init_default_scope('mmdet')
    model = MODELS.build(model_cfg)
    data = demo_track_batch(model, num_frames=4, shapes=((3, 64, 96), ))
    frames = list(data['data_samples'][0])
    parts = split_track_samples(data['data_samples'], 2)
    assert [list(part) for part in parts] == [frames[:2], frames[2:]]


def test_bad_settings():
    init_default_scope('mmdet')
    with pytest.raises(ValueError, match='clips_per_sample >= 2'):
        MODELS.build(
            tiny_seqformer_cfg(
                association_loss=dict(type='ClipAssociationLoss')))
    with pytest.raises(ValueError, match='clips_per_sample must be'):
        MODELS.build(tiny_seqformer_cfg(clips_per_sample=0))
    model = MODELS.build(tiny_seqformer_cfg(clips_per_sample=2)).train()
    data = demo_track_batch(model, num_frames=3)
    with pytest.raises(ValueError, match='3 frames cannot be split'):
        model(**data, mode='loss')
