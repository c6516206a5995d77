"""Parity with the official SeqFormer on golden fixtures it produced.

``tests/data/official_tiny/`` was made once by running the official code
(wjf5203/SeqFormer) on a tiny official model; its maker,
``tools/analysis_tools/official/make_official_fixtures.py``, says how. Here its
weights (official layout) go through our converter into the model of
:func:`official_tiny_seqformer_cfg`, and our outputs, matchings, losses and
gradients are held to the official ones in float64, so that a change to any
layer's computation fails.

Tolerances: both codes run in float64 on the same (float16-representable)
weights and inputs, so what is left is the order of operations and the few
constants the official code computes in float32 (reference grids, relative
coordinates of the mask head). The bounds stay orders of magnitude below
any real change (a wrong weight, a missing residual, a swapped level moves
these outputs by 1e-3 or more).
"""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmseqformer.models.utils import (check_state_dict_fits,
                                      official_to_mmseqformer)
from mmseqformer.models.utils.official_keys import (official_loss_to_ours,
                                                    official_to_ours)
from mmseqformer.testing import REPO_ROOT
from mmseqformer.testing.tiny_seqformer import official_tiny_seqformer_cfg

DATA = osp.join(REPO_ROOT, 'tests', 'data', 'official_tiny')
#: The official 42-row class heads kept whole (label = row): the official
#: focal loss runs over all 42 columns.
ROWS = tuple(range(42))
# Bounds (float64 on both sides), about 10x the largest differences
# measured (2026-11-25): logits 3.6e-08, boxes 5.6e-10, mask logits 5.3e-08
# of their largest magnitude, loss terms 9.0e-09 relative, gradients 2.9e-08
# of each tensor's largest value. What remains comes from constants both
# codes compute in float32 (positional encodings, reference grids, the
# official relative coordinates); a changed layer moves outputs by orders
# of magnitude more.
#: Absolute bounds on class logits (up to about 7) and boxes (in (0, 1)).
LOGIT_ATOL = 4e-7
BOX_ATOL = 6e-9
#: Bound on mask logits relative to their largest magnitude (49).
MASK_RTOL = 5e-7
#: Relative bounds on loss terms and gradients.
LOSS_RTOL = 1e-7
GRAD_RTOL = 3e-7


def load(name: str) -> dict:
    return torch.load(osp.join(DATA, name), weights_only=True)


@pytest.fixture(scope='module')
def model():
    init_default_scope('mmdet')  # module fixtures run before the autouse one
    torch.manual_seed(0)
    model = MODELS.build(official_tiny_seqformer_cfg())
    model = model.double()
    official = load('weights.pth')['model']
    ours, _ = official_to_mmseqformer(official, class_rows=ROWS)
    check_state_dict_fits(ours, model.state_dict())
    model.load_state_dict(ours, strict=True)
    return model


def frame_sample(index: int, img_shape, batch_shape) -> DetDataSample:
    frame = DetDataSample()
    frame.set_metainfo(
        dict(
            img_shape=tuple(img_shape),
            ori_shape=tuple(img_shape),
            batch_input_shape=tuple(batch_shape),
            pad_shape=tuple(batch_shape),
            frame_id=index))
    return frame


def test_inference_matches_official(model):
    """Unpadded frames as the official ``inference.py``: every layer's class
    logits and boxes, the last layer's mask logits."""
    fixture = load('inference.pth')
    frames = fixture['frames'].double()
    num_frames, _, height, width = frames.shape
    sample = TrackDataSample()
    sample.video_data_samples = [
        frame_sample(t, (height, width), (height, width))
        for t in range(num_frames)
    ]
    model.eval()
    with torch.no_grad():
        ours = model(frames[None], [sample], mode='tensor')
    assert len(ours['cls_scores']) == len(fixture['pred_logits']) == 3
    for layer, (logits, boxes) in enumerate(
            zip(fixture['pred_logits'], fixture['pred_boxes'])):
        torch.testing.assert_close(
            ours['cls_scores'][layer], logits, rtol=0, atol=LOGIT_ATOL)
        torch.testing.assert_close(
            ours['boxes'][layer], boxes, rtol=0, atol=BOX_ATOL)
    masks = fixture['pred_masks']
    scale = masks.abs().max()
    assert scale > 1  # a real output, not an all-zero one
    torch.testing.assert_close(
        ours['mask_logits'][:, fixture['mask_queries']] / scale,
        masks / scale,
        rtol=0,
        atol=MASK_RTOL)


def clip_sample(clip: dict, batch_shape) -> TrackDataSample:
    """Our clip: per-frame boxes (xyxy pixels), labels, instance ids and
    masks padded to the batch shape, as the data pipeline gives them."""
    frames = []
    height, width = clip['frames'].shape[-2:]
    for t, gt in enumerate(clip['gt']):
        frame = frame_sample(t, (height, width), batch_shape)
        masks = gt['masks'].new_zeros((len(gt['masks']), *batch_shape))
        masks[:, :height, :width] = gt['masks']
        frame.gt_instances = InstanceData(
            bboxes=gt['bboxes'],
            labels=gt['labels'],
            instances_ids=gt['instances_ids'],
            masks=masks)
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return sample


def padded_inputs(clips, batch_shape) -> torch.Tensor:
    """(N, T, 3, H, W) frames padded with zeros at the bottom and right,
    as the official collate pads normalised frames."""
    num_frames = clips[0]['frames'].shape[0]
    inputs = torch.zeros((len(clips), num_frames, 3, *batch_shape),
                         dtype=torch.float64)
    for index, clip in enumerate(clips):
        height, width = clip['frames'].shape[-2:]
        inputs[index, ..., :height, :width] = clip['frames']
    return inputs


@pytest.fixture(scope='module')
def train_step(model):
    """One training step on the fixture's clips: our matchings (layer-major,
    as the official list), losses and gradients."""
    fixture = load('train_step.pth')
    batch_shape = fixture['padded_shape']
    clips = fixture['clips']
    samples = [clip_sample(clip, batch_shape) for clip in clips]
    criterion = model.track_head.criterion
    match = criterion.match
    matchings = []

    def recording_match(*args, **kwargs):
        result = match(*args, **kwargs)
        matchings.append(result.clone())
        return result

    criterion.match = recording_match
    model.train()
    model.zero_grad()
    try:
        losses = model(padded_inputs(clips, batch_shape), samples, mode='loss')
        sum(losses.values()).backward()
    finally:
        del criterion.match
        model.eval()
    params = dict(model.named_parameters())
    grads = {
        name: params[official_to_ours(name)].grad
        for name in fixture['grads']
    }
    return fixture, matchings, losses, grads


def test_matchings_match_official(train_step):
    fixture, matchings, _, _ = train_step
    official = [pair for layer in fixture['matchings'] for pair in layer]
    assert len(matchings) == len(official) == 3 * 2  # layers x clips
    for index, (match, (queries,
                        targets)) in enumerate(zip(matchings, official)):
        expected = torch.full_like(match, -1)
        expected[queries] = targets
        assert torch.equal(match, expected), f'layer {index // 2}, ' \
            f'clip {index % 2}'


def test_every_loss_term_matches_official(train_step):
    fixture, _, losses, _ = train_step
    official = fixture['losses']
    expected = {}
    for name, value in official.items():
        # Ours carry the weights, the official's do not.
        expected[official_loss_to_ours(name)] = \
            value * fixture['loss_weights'][name]
    assert set(losses) == set(expected)
    for name, value in expected.items():
        assert value > 0, name
        torch.testing.assert_close(
            losses[name], value, rtol=LOSS_RTOL, atol=0, msg=name)
    torch.testing.assert_close(
        sum(losses.values()), fixture['total_loss'], rtol=LOSS_RTOL, atol=0)


def test_gradients_match_official(train_step):
    fixture, _, _, grads = train_step
    assert len(fixture['grads']) >= 20
    for name, official in fixture['grads'].items():
        ours = grads[name]
        assert ours is not None, name
        ours = ours.flatten()[:len(official)]
        scale = official.abs().max()
        if scale == 0:  # a ReLU that is off for every input of the batch
            assert not ours.any(), name
            continue
        torch.testing.assert_close(
            ours / scale, official / scale, rtol=0, atol=GRAD_RTOL, msg=name)
