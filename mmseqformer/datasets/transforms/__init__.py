from .clip_filter import DropClipWithoutInstances
from .clip_sampling import SeqFormerClipSample, sample_clip_frames

__all__ = [
    'DropClipWithoutInstances', 'SeqFormerClipSample', 'sample_clip_frames'
]
