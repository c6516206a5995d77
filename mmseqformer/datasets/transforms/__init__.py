import mmdet.datasets.transforms  # noqa: F401  (before the fix below)

from .clip_filter import DropClipWithoutInstances
from .clip_sampling import SeqFormerClipSample, sample_clip_frames
from .mmcv_compat import dedupe_random_method_lists
from .pseudo_clip import ImageToPseudoClip

dedupe_random_method_lists()

__all__ = [
    'DropClipWithoutInstances', 'SeqFormerClipSample', 'sample_clip_frames',
    'dedupe_random_method_lists', 'ImageToPseudoClip'
]
