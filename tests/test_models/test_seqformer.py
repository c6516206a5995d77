"""The whole tiny SeqFormer: losses, gradients, encoding, inference."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

from mmseqformer.models.utils import ABSENT_BOX, video_gt_instances
from mmseqformer.testing import (demo_track_batch, perturbed_tiny_seqformer,
                                 tiny_seqformer_cfg)

LOSS_NAMES = {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'loss_dice'}


@pytest.fixture(scope='module')
def model():
    init_default_scope('mmdet')  # module fixtures run before the autouse one
    torch.manual_seed(0)
    model = MODELS.build(tiny_seqformer_cfg())
    model.init_weights()
    return model


def test_loss_keys_values_and_gradients():
    # Perturbed: the official init blocks some gradients at step 0 only;
    # the test sees the graph, not the init.
    model = perturbed_tiny_seqformer().train()
    losses = model(**demo_track_batch(model), mode='loss')
    expected = LOSS_NAMES | {f'd0.{name}' for name in LOSS_NAMES}
    assert set(losses) == expected
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    model.zero_grad()
    sum(losses.values()).backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    no_grad = {
        n
        for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.any())
    }
    assert not no_grad, sorted(no_grad)
    # Official freezing: stem and first stage, and every BN.
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert any(n.startswith('backbone.layer1.') for n in frozen)
    assert all(n.startswith('backbone.') for n in frozen)
    assert not any(
        n.startswith('backbone.layer2.') and 'conv' in n for n in frozen)
    assert trainable


def test_clip_with_an_absent_instance_and_an_empty_clip(model):
    model.train()
    data = demo_track_batch(model, num_frames=2)
    frame = data['data_samples'][0][1]
    frame.gt_instances = frame.gt_instances[:0]  # all absent in frame 1
    empty = data['data_samples'][1]
    for t in range(len(empty)):
        empty[t].gt_instances = empty[t].gt_instances[:0]
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    gt = video_gt_instances(data['data_samples'][0], (16, 24))
    assert (gt.bboxes[:, 1] == ABSENT_BOX).all()
    assert gt.masks[:, 1].sum() == 0 and gt.masks[:, 0].sum() > 0


def test_each_frame_is_encoded_independently(model):
    model.eval()
    data = demo_track_batch(model, num_frames=3, training=False)
    with torch.no_grad():
        memory = model.encode(**data).memory
        inputs = data['inputs'].clone()
        inputs[0, 1] += 1.0
        changed = model.encode(inputs, data['data_samples']).memory
    num_frames = 3
    torch.testing.assert_close(changed[0], memory[0])
    torch.testing.assert_close(changed[2], memory[2])
    torch.testing.assert_close(changed[num_frames:], memory[num_frames:])
    assert not torch.allclose(changed[1], memory[1])


def test_predict_gives_every_frame_its_instances(model):
    model.eval()
    data = demo_track_batch(
        model, num_frames=4, shapes=((3, 70, 90), ), training=False)
    with torch.no_grad():
        sample = model(**data, mode='predict')[0]
    assert len(sample) == 4
    first = sample[0].pred_track_instances
    assert 0 < len(first) <= 10
    for t in range(4):
        pred = sample[t].pred_track_instances
        assert pred.masks.shape[1:] == tuple(sample[t].ori_shape)
        assert pred.masks.dtype == torch.bool
        assert pred.bboxes.shape == (len(first), 4)
        torch.testing.assert_close(pred.scores, first.scores)
        torch.testing.assert_close(pred.labels, first.labels)
        torch.testing.assert_close(pred.instances_id, torch.arange(len(first)))
    # The official order (grouped by query, tests/test_models/
    # test_video_postprocess.py) starts with the best pair.
    assert first.scores[0] == first.scores.max()


def test_tensor_mode_shapes(model):
    model.eval()
    data = demo_track_batch(model, num_frames=2, training=False)
    with torch.no_grad():
        out = model(**data, mode='tensor')
    assert [s.shape for s in out['cls_scores']] == [(2, 5, 3)] * 2
    assert [b.shape for b in out['boxes']] == [(2, 2, 5, 4)] * 2
    # Test input padded only to the largest clip (80 x 96) -> stride 4.
    assert out['mask_logits'].shape == (2, 5, 2, 20, 24)


def test_instance_embedding_from_fewer_frames(model):
    """Table 6 switch: k frames build the instance query; every frame still
    gets masks, and with all frames the result is unchanged."""
    model.eval()
    data = demo_track_batch(
        model, num_frames=5, shapes=((3, 64, 64), ), training=False)
    head = model.track_head
    with torch.no_grad():
        full = model(**data, mode='predict')[0][0].pred_track_instances
        head.test_cfg['embedding_frames'] = 5
        same = model(**data, mode='predict')[0][0].pred_track_instances
        head.test_cfg['embedding_frames'] = 2
        fewer = model(**data, mode='predict')[0]
    head.test_cfg['embedding_frames'] = None
    torch.testing.assert_close(same.scores, full.scores)
    assert len(fewer) == 5
    assert not torch.allclose(fewer[0].pred_track_instances.scores,
                              full.scores[:len(fewer[0].pred_track_instances)])


def test_single_scale_transformer():
    """Table 4 switch: the transformer sees C5 only; masks still work."""
    cfg = tiny_seqformer_cfg()
    cfg.update(transformer_levels=[2], num_feature_levels=1)
    cfg['encoder']['layer_cfg']['self_attn_cfg']['num_levels'] = 1
    cfg['track_head']['decoder']['layer_cfg']['cross_attn_cfg'][
        'num_levels'] = 1
    model = MODELS.build(cfg)
    model.init_weights()
    data = demo_track_batch(model, num_frames=2)
    encoded = model.encode(**data)
    assert encoded.spatial_shapes.tolist() == [[3, 3]]  # 96 / 32
    assert [m.shape[-2:] for m in encoded.mask_inputs] == [(12, 12), (6, 6),
                                                           (3, 3)]
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())


def test_cpu_inference_feeds_channels_last_frames(model):
    """At CPU inference the backbone gets channels-last frames (faster
    oneDNN convolutions), the same features up to float rounding; training
    keeps the layout."""
    layouts = []
    handle = model.backbone.register_forward_pre_hook(
        lambda _, inputs: layouts.append(inputs[0].is_contiguous(
            memory_format=torch.channels_last)))
    data = demo_track_batch(
        model, num_frames=2, shapes=((3, 64, 96), ), training=False)
    try:
        model.eval()
        with torch.no_grad():
            last = model.encode(data['inputs'], data['data_samples'])
            type(model).channels_last_frames = False
            plain = model.encode(data['inputs'], data['data_samples'])
        type(model).channels_last_frames = True
        model.train()
        model.encode(data['inputs'], data['data_samples'])
    finally:
        type(model).channels_last_frames = True
        handle.remove()
    assert layouts == [True, False, False]
    torch.testing.assert_close(last.memory, plain.memory)
