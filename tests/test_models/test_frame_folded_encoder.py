"""FrameFoldedEncoder: frame by frame at CPU inference, the batched
computation's values bit for bit; batched elsewhere."""
import torch
from mmdet.models.layers.transformer import DeformableDetrTransformerEncoder

from mmseqformer.models.layers import FrameFoldedEncoder

LEVELS = [(6, 9), (3, 5)]


def _encoder_and_inputs(frames=3, dims=32):
    torch.manual_seed(0)
    encoder = FrameFoldedEncoder(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=dims, num_heads=4, num_levels=len(LEVELS)),
            ffn_cfg=dict(embed_dims=dims, feedforward_channels=64))).eval()
    with torch.no_grad():
        for param in encoder.parameters():
            param.add_(torch.randn_like(param) * 0.2)
    num_value = sum(h * w for h, w in LEVELS)
    spatial_shapes = torch.tensor(LEVELS)
    padding = torch.zeros(frames, num_value, dtype=torch.bool)
    padding[1, -2:] = True  # one frame padded: its own mask must be used
    valid_ratios = torch.ones(frames, len(LEVELS), 2)
    valid_ratios[1] = 0.8
    inputs = dict(
        query=torch.randn(frames, num_value, dims),
        query_pos=torch.randn(frames, num_value, dims),
        key_padding_mask=padding,
        spatial_shapes=spatial_shapes,
        level_start_index=torch.cat([
            spatial_shapes.new_zeros(1),
            spatial_shapes.prod(1).cumsum(0)[:-1]
        ]),
        valid_ratios=valid_ratios)
    return encoder, inputs


def _batch_sizes(layer) -> list:
    """The batch size of every call of ``layer``, as it is called."""
    sizes = []
    layer.register_forward_hook(
        lambda module, args, kwargs, out: sizes.append(kwargs['query'].shape[0]
                                                       ),
        with_kwargs=True)
    return sizes


def test_frame_by_frame_equals_the_batched_pass_bit_for_bit():
    encoder, inputs = _encoder_and_inputs()
    calls = _batch_sizes(encoder.layers[0])
    with torch.no_grad():
        memory = encoder(**inputs)
        assert calls == [1, 1, 1]  # frame by frame
        calls.clear()
        batched = DeformableDetrTransformerEncoder.forward(encoder, **inputs)
        assert calls == [3]
    assert memory.shape == inputs['query'].shape
    assert torch.equal(memory, batched)
    # The frames differ, so a frame paired with another's mask, ratios or
    # positions would show.
    assert not torch.equal(memory[0], memory[1])


def test_training_runs_the_frames_together():
    encoder, inputs = _encoder_and_inputs()
    calls = _batch_sizes(encoder.layers[0])
    encoder(**inputs)  # gradients on
    assert calls == [3]
