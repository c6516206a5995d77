"""Pad training clips as the official collate does; never pad test videos.

The official training collate pads every batch to a multiple of 32
(``nested_tensor_from_tensor_list(..., size_divisibility=32)``); its
``inference.py`` stacks the frames of one video with no size divisor, so
the model sees exactly the resized frames (padding mask all False) and the
mask logits cover the frame and nothing else.
"""
from typing import Dict

from mmdet.models.data_preprocessors import TrackDataPreprocessor
from mmdet.registry import MODELS


@MODELS.register_module()
class SeqFormerDataPreprocessor(TrackDataPreprocessor):
    """``TrackDataPreprocessor`` with one size divisor per mode.

    Training batches are padded to a multiple of ``pad_size_divisor``
    (32 in the configs); test and inference batches to a multiple of
    ``test_pad_size_divisor`` (1: no padding for a batch of one video, so
    ``batch_input_shape == img_shape``; several videos of different sizes
    are still padded to the largest).

    NOTE: normalisation is mmdet's ``(x - 255 * mean) / (255 * std)`` in
    float32; the official ``ToTensor`` + ``Normalize`` computes
    ``(x / 255 - mean) / std``. Same formula, float32 rounding apart:
    up to 4.8e-7 on ImageNet-normalised values (measured over all 256
    pixel values).

    Args:
        test_pad_size_divisor (int): Size divisor when not training.
            Defaults to 1.
        **kwargs: ``TrackDataPreprocessor`` arguments; ``pad_size_divisor``
            applies to training.
    """

    def __init__(self, test_pad_size_divisor: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.train_pad_size_divisor = self.pad_size_divisor
        self.test_pad_size_divisor = test_pad_size_divisor

    def forward(self, data: dict, training: bool = False) -> Dict:
        """Normalise, pad for the mode and stack to (bs, T, C, H, W).

        Args:
            data (dict): ``inputs`` (list of (T, C, H, W) uint8 tensors) and
                ``data_samples``, as collated by the dataloader.
            training (bool): Pad with the training divisor.

        Returns:
            dict: ``inputs`` (bs, T, C, H, W) and ``data_samples`` with
            ``batch_input_shape`` and ``pad_shape`` set.
        """
        # The parent reads the divisor in two places (pad shapes and
        # stacking); setting it per call keeps both consistent.
        self.pad_size_divisor = (
            self.train_pad_size_divisor
            if training else self.test_pad_size_divisor)
        return super().forward(data, training)
