"""SeqFormer.frame_features: at CPU inference the backbone takes at most
``cpu_backbone_frames`` frames at a time, with the batched values bit for
bit."""
import torch

from mmseqformer.testing import noisy_tiny_vis_model


def test_backbone_batches_of_four_frames_equal_one_batch():
    model = noisy_tiny_vis_model()
    frames = torch.randn(6, 3, 64,
                         96).contiguous(memory_format=torch.channels_last)
    batches = []
    model.backbone.register_forward_hook(
        lambda module, args, out: batches.append(args[0].shape[0]))
    with torch.no_grad():
        features = model.frame_features(frames)
        assert batches == [4, 2]
        batches.clear()
        expected = model.neck(model.backbone(frames))
    assert len(features) == len(expected) > 1
    for got, want in zip(features, expected):
        assert got.shape == want.shape
        assert torch.equal(got, want)
    # A chunk of at most four frames, and training, take one batch.
    batches.clear()
    with torch.no_grad():
        model.frame_features(frames[:4])
    model.frame_features(frames[:2])  # gradients on
    assert batches == [4, 2]
