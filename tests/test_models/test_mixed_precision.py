"""Mixed precision on the CPU (bfloat16 autocast): deformable sampling in
float32, outputs and a training step close to float32, ``--amp`` of
tools/train.py.

Tolerances are relative L2 distances ``|low - f32| / |f32|``, bounded at
about three times what was measured with these seeds (CPU, torch 2.13):
class logits 2.8e-3, boxes 3.0e-3, mask logits 2.1e-2 (over 8 weight/input
seeds at most 3.4e-3, 3.8e-3 and 2.4e-2); loss terms 2.3e-2 (loss_mask),
all gradients together 4.6e-2.
"""
import re
import sys

import numpy as np
import pytest
import torch
from mmengine.registry import OPTIM_WRAPPERS

from mmseqformer.engine import CPUBFloat16OptimWrapper, amp_optim_wrapper
from mmseqformer.models.layers import FrameFoldedMSDA
from mmseqformer.ops import msda_sampling
from mmseqformer.testing import perturbed_tiny_seqformer
from mmseqformer.testing import run_tool as run
from mmseqformer.testing.synthetic_clips import (demo_track_batch,
                                                 make_training_clips,
                                                 training_batch)
from mmseqformer.utils.torch_compat import is_autocast_enabled

BF16 = dict(device_type='cpu', dtype=torch.bfloat16)
#: Bounds of the relative L2 distance to float32 (see the module doc).
OUTPUT_RTOL = dict(cls_scores=1e-2, boxes=1e-2, mask_logits=6e-2)
LOSS_RTOL = 6e-2
GRAD_RTOL = 0.15


def relative_distance(low, ref) -> float:
    if isinstance(ref, (list, tuple)):
        low, ref = torch.stack(list(low)), torch.stack(list(ref))
    low, ref = low.double(), ref.double()
    return ((low - ref).norm() / ref.norm()).item()


@pytest.fixture(scope='module')
def model():
    return perturbed_tiny_seqformer()


def clip_batch(seed: int):
    return training_batch(
        make_training_clips(2, 3, 64, 96, num_classes=3, seed=seed))


def msda_inputs(training_sampler='gather'):
    torch.manual_seed(0)
    attn = FrameFoldedMSDA(
        embed_dims=32,
        num_heads=2,
        num_levels=2,
        num_points=2,
        training_sampler=training_sampler)
    with torch.no_grad():
        for param in attn.parameters():
            param.add_(torch.randn_like(param) * 0.1)
    shapes = torch.tensor([[8, 12], [4, 6]])
    starts = torch.tensor([0, 96])
    query = torch.randn(2, 7, 32)
    value = torch.randn(2, 96 + 24, 32)
    reference = torch.rand(2, 7, 2, 2)
    return attn, (query, value, reference, shapes, starts)


@pytest.mark.parametrize('grad,sampler', [(False, 'gather'), (True, 'gather'),
                                          (True, 'grid_sample')])
def test_deformable_sampling_runs_in_float32_under_autocast(
        grad, sampler, monkeypatch):
    """Inference and both training samplers: the sampling sees float32,
    the samples come back in bfloat16, close to float32."""
    attn, inputs = msda_inputs(sampler)
    seen = []
    sample = msda_sampling._sample

    def recording(value, shapes, starts, references, offsets, weights, *args):
        seen.append(
            (value.dtype, references.dtype, offsets.dtype, weights.dtype))
        return sample(value, shapes, starts, references, offsets, weights,
                      *args)

    monkeypatch.setattr(msda_sampling, '_sample', recording)
    with torch.set_grad_enabled(grad):
        reference = attn.sample(*inputs)
        with torch.autocast(**BF16):
            low = attn.sample(*inputs)
    assert seen == [(torch.float32, ) * 4] * 2
    assert reference.dtype == torch.float32 and low.dtype == torch.bfloat16
    # Measured 8.5e-3 (the bfloat16 value projection).
    assert 0 < relative_distance(low, reference) < 2e-2


def test_float64_sampling_is_not_lowered():
    attn, inputs = msda_inputs()
    attn = attn.double()
    query, value, reference, shapes, starts = inputs
    with torch.no_grad():
        out = attn.sample(query.double(), value.double(), reference.double(),
                          shapes, starts)
    assert out.dtype == torch.float64


@pytest.mark.slow
def test_bf16_outputs_stay_close_to_float32(model):
    model.eval()
    inputs, samples = clip_batch(seed=0)
    with torch.no_grad():
        reference = model(inputs, samples, mode='tensor')
        with torch.autocast(**BF16):
            low = model(inputs, samples, mode='tensor')
    for name, bound in OUTPUT_RTOL.items():
        distance = relative_distance(low[name], reference[name])
        # > 0: autocast really ran the model in bfloat16.
        assert 0 < distance < bound, (name, distance)


@pytest.mark.slow
def test_bf16_training_step_stays_close_to_float32(model):
    model.train()
    inputs, samples = clip_batch(seed=1)
    results = []
    for enabled in (False, True):
        model.zero_grad()
        with torch.autocast(**BF16, enabled=enabled):
            losses = model(inputs, samples, mode='loss')
        sum(losses.values()).backward()
        grads = torch.cat([
            p.grad.flatten() for p in model.parameters() if p.grad is not None
        ])
        results.append((losses, grads))
    model.zero_grad()
    (losses, grads), (low_losses, low_grads) = results
    assert set(low_losses) == set(losses)
    for name, value in losses.items():
        assert torch.isfinite(low_losses[name]), name
        assert abs(low_losses[name].item() - value.item()) <= \
            LOSS_RTOL * abs(value.item()), name
    assert torch.isfinite(low_grads).all()
    assert 0 < relative_distance(low_grads, grads) < GRAD_RTOL


def test_amp_option_of_the_train_tool_picks_the_dtype():
    """``--amp``: float16 + loss scaling on a GPU, bfloat16 on the CPU."""
    config = dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=1e-3),
        clip_grad=dict(max_norm=0.1),
        loss_scale='dynamic')
    gpu = amp_optim_wrapper(config, cuda=True)
    assert (gpu['type'], gpu['dtype'], gpu['loss_scale']) == \
        ('AmpOptimWrapper', 'float16', 'dynamic')
    cpu = amp_optim_wrapper(config, cuda=False)
    assert cpu['type'] == 'CPUBFloat16OptimWrapper'
    assert 'loss_scale' not in cpu and 'dtype' not in cpu
    assert config['type'] == 'OptimWrapper'  # not changed in place
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type=cpu['type'],
            optimizer=torch.optim.SGD(
                torch.nn.Linear(1, 1).parameters(), lr=0.1)))
    layer = torch.nn.Linear(4, 4)
    with wrapper.optim_context(layer):
        assert layer(torch.randn(2, 4)).dtype == torch.bfloat16
    assert layer(torch.randn(2, 4)).dtype == torch.float32


@pytest.mark.slow
def test_cpu_amp_wrapper_trains_the_model():
    """One real training step through the CPU wrapper (as the runner's
    ``train_step`` does it)."""
    model = perturbed_tiny_seqformer()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    wrapper = CPUBFloat16OptimWrapper(
        optimizer=optimizer, clip_grad=dict(max_norm=0.1))
    model.train()
    inputs, samples = clip_batch(seed=2)
    before = model.track_head.cls_branches[0].weight.detach().clone()
    with wrapper.optim_context(model):
        losses = model(inputs, samples, mode='loss')
    loss, _ = model.parse_losses(losses)
    wrapper.update_params(loss)
    assert torch.isfinite(loss)
    assert not torch.equal(before, model.track_head.cls_branches[0].weight)


@pytest.mark.slow
def test_train_tool_with_amp_on_cpu(synthetic_root, tmp_path):
    config = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'
    log = run([
        sys.executable, 'tools/train.py', config, '--amp', '--work-dir',
        str(tmp_path), '--cfg-options', *[
            f'{loader}.dataset.data_root={synthetic_root}/'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
        ], 'train_cfg.max_iters=1', 'train_cfg.val_interval=100',
        'default_hooks.logger.interval=1'
    ])
    loss = re.search(r'Iter\(train\) \[1/1\].*? loss: ([\d.]+)', log)
    assert loss is not None, log[-2000:]
    assert 0 < float(loss.group(1)) < 1e4
    assert "type='CPUBFloat16OptimWrapper'" in log


def test_inference_vis_in_bfloat16_stays_close_to_float32():
    """``inference_vis(amp=True)``: the network under CPU bfloat16
    autocast, the scores and masks after it in float32."""
    from mmseqformer.apis import inference_vis
    from mmseqformer.testing import moving_block_video as video
    from mmseqformer.testing import noisy_tiny_vis_model
    model = noisy_tiny_vis_model()
    frames = video(3)
    full = inference_vis(model, frames, chunk_size=2)
    for mode in ('offline', 'online'):
        low = inference_vis(model, frames, chunk_size=2, amp=True, mode=mode)
        assert len(low) == 3 and low.scores.dtype == 'float32'
        assert np.isfinite(low.scores).all()
    low = inference_vis(model, frames, chunk_size=2, amp=True)
    assert abs(low.scores[0] - full.scores[0]) < 2e-2


def test_test_cfg_amp_runs_the_network_in_bfloat16():
    """``test_cfg.amp`` (``tools/test.py --amp``): ``predict`` runs the
    backbone under autocast, and its scores stay close to float32's."""
    model = perturbed_tiny_seqformer().eval()
    autocast_seen = []
    model.backbone.register_forward_pre_hook(
        lambda *_: autocast_seen.append(is_autocast_enabled('cpu')))
    scores = {}
    for amp in (False, True):
        model.track_head.test_cfg['amp'] = amp
        data = demo_track_batch(
            model, num_frames=4, shapes=((3, 70, 90), ), training=False)
        with torch.no_grad():
            sample = model(**data, mode='predict')[0]
        scores[amp] = sample[0].pred_track_instances.scores
    assert autocast_seen == [False, True]
    assert scores[True].dtype == torch.float32
    torch.testing.assert_close(scores[True], scores[False], rtol=0, atol=2e-2)
