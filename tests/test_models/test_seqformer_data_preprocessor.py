"""SeqFormerDataPreprocessor pads training clips to 32 and test videos not
at all."""
import numpy as np
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmseqformer.models import SeqFormerDataPreprocessor

CFG = dict(
    type='SeqFormerDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_mask=True,
    pad_size_divisor=32)


def clip_batch(*sizes, num_frames=2):
    """One uint8 clip per (H, W), as the dataloader collates them."""
    inputs, samples = [], []
    for height, width in sizes:
        inputs.append(
            torch.randint(
                0, 256, (num_frames, 3, height, width), dtype=torch.uint8))
        frames = []
        for _ in range(num_frames):
            frame = DetDataSample(metainfo=dict(img_shape=(height, width)))
            frame.gt_instances = InstanceData(
                masks=BitmapMasks(
                    np.ones((1, height, width), np.uint8), height, width))
            frames.append(frame)
        samples.append(TrackDataSample(video_data_samples=frames))
    return dict(inputs=inputs, data_samples=samples)


def test_training_pads_to_a_multiple_of_32():
    preprocessor = MODELS.build(CFG)
    assert isinstance(preprocessor, SeqFormerDataPreprocessor)
    out = preprocessor(clip_batch((360, 641), (300, 500)), True)
    assert tuple(out['inputs'].shape) == (2, 2, 3, 384, 672)
    sample = out['data_samples'][1][0]
    assert sample.batch_input_shape == (384, 672)
    assert sample.pad_shape == (320, 512)
    assert sample.gt_instances.masks.masks.shape == (1, 384, 672)


def test_test_input_of_one_video_is_not_padded():
    preprocessor = MODELS.build(CFG)
    batch = clip_batch((360, 641))
    out = preprocessor(batch, False)
    assert tuple(out['inputs'].shape) == (1, 2, 3, 360, 641)
    sample = out['data_samples'][0][1]
    assert sample.batch_input_shape == sample.img_shape == (360, 641)
    assert sample.pad_shape == (360, 641)
    assert sample.gt_instances.masks.masks.shape == (1, 360, 641)
    # Normalised RGB, nothing else.
    rgb = batch['inputs'][0][:, [2, 1, 0]].float()
    expected = (rgb - preprocessor.mean) / preprocessor.std
    torch.testing.assert_close(out['inputs'][0], expected, rtol=0, atol=0)
    # The divisor is chosen per call: training after testing pads again.
    assert preprocessor(clip_batch((360, 641)),
                        True)['inputs'].shape[-2:] == (384, 672)


def test_test_videos_of_different_sizes_pad_to_the_largest_only():
    out = MODELS.build(CFG)(clip_batch((360, 641), (300, 700)), False)
    assert tuple(out['inputs'].shape) == (2, 2, 3, 360, 700)
