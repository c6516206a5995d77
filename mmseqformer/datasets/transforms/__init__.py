import mmdet.datasets.transforms  # noqa: F401  (before the fix below)

from .clip_filter import DropClipWithoutInstances
from .clip_sampling import SeqFormerClipSample, sample_clip_frames
from .frame_loading import (FrameFileError, LoadVideoFrameFromFile,
                            check_frame_file)
from .mmcv_compat import dedupe_random_method_lists
from .pseudo_clip import ImageToPseudoClip
from .seqformer_resize import (SeqFormerResize, resize_masks_nearest,
                               shorter_side_resize_shape)

dedupe_random_method_lists()

__all__ = [
    'DropClipWithoutInstances', 'SeqFormerClipSample', 'sample_clip_frames',
    'dedupe_random_method_lists', 'ImageToPseudoClip', 'FrameFileError',
    'LoadVideoFrameFromFile', 'check_frame_file', 'SeqFormerResize',
    'resize_masks_nearest', 'shorter_side_resize_shape'
]
