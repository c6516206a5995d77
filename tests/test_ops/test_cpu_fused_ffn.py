import pytest
import torch
from mmcv.cnn.bricks.transformer import FFN
from mmdet.models.layers.transformer import \
    DeformableDetrTransformerEncoderLayer

from mmseqformer.models.layers import FrameFoldedEncoderLayer, FrameFoldedMSDA
from mmseqformer.ops.cpu_fused_ffn import CPUFusedFFN

CFG = dict(embed_dims=16, feedforward_channels=48, ffn_drop=0.1)


def ffn_pair():
    """mmcv's FFN and ours with the same values; biases away from 0, so
    the fused bias and ReLU both matter."""
    torch.manual_seed(0)
    fused = CPUFusedFFN(**CFG)
    with torch.no_grad():
        for param in fused.parameters():
            param.add_(torch.randn_like(param) * 0.3)
    reference = FFN(**CFG)
    reference.load_state_dict(fused.state_dict())
    return reference.eval(), fused.eval()


@pytest.mark.skipif(
    not CPUFusedFFN(**CFG)._fusable, reason='no oneDNN in this torch build')
@pytest.mark.parametrize('with_identity', [False, True])
def test_fused_inference_equals_mmcv_ffn(with_identity):
    reference, fused = ffn_pair()
    mmcv_calls = []
    fused.layers.register_forward_hook(lambda *_: mmcv_calls.append(1))
    x = torch.randn(2, 37, 16)
    args = (x, torch.randn(2, 37, 16)) if with_identity else (x, )
    with torch.no_grad():
        expected = reference(*args)
        actual = fused(*args)
    assert not mmcv_calls, 'the fused path did not run'
    assert actual.shape == expected.shape
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)


def test_training_and_gradients_take_mmcv_path_bit_for_bit():
    reference, fused = ffn_pair()
    mmcv_calls = []
    fused.layers.register_forward_hook(lambda *_: mmcv_calls.append(1))
    x = torch.randn(3, 5, 16, requires_grad=True)
    assert torch.equal(fused(x), reference(x))  # gradients on
    fused.train(), reference.train()
    with torch.no_grad():  # dropout active
        torch.manual_seed(1)
        expected = reference(x)
        torch.manual_seed(1)
        actual = fused(x)
    assert torch.equal(actual, expected)
    assert len(mmcv_calls) == 2  # gradients on, then dropout active


def test_encoder_layer_initialises_as_before_from_a_seed():
    """The fused FFN draws nothing from the random generator: a seeded
    layer has mmdet's FFN values and leaves the generator where mmdet's
    layer with our attention (what it was before) leaves it."""
    cfg = dict(
        self_attn_cfg=dict(embed_dims=16, num_heads=2, num_levels=1),
        ffn_cfg=dict(embed_dims=16, feedforward_channels=32))
    torch.manual_seed(0)
    ours = FrameFoldedEncoderLayer(**cfg)
    ours_next = torch.rand(4)
    torch.manual_seed(0)
    mmdet_layer = DeformableDetrTransformerEncoderLayer(**cfg)
    FrameFoldedMSDA(**cfg['self_attn_cfg'])
    before_next = torch.rand(4)
    assert isinstance(ours.ffn, CPUFusedFFN)
    assert torch.equal(ours_next, before_next)
    mmdet_values = mmdet_layer.ffn.state_dict()
    for name, value in ours.ffn.state_dict().items():
        assert torch.equal(value, mmdet_values[name]), name
