from .clip_split import split_encoded_clips, split_track_samples
from .encoded_frames import EncodedFrames
from .official_checkpoint import (CheckpointConversionError,
                                  check_state_dict_fits,
                                  mmseqformer_to_official,
                                  official_to_mmseqformer, swin_to_official)
from .video_gt import ABSENT_BOX, video_gt_instances

__all__ = [
    'ABSENT_BOX', 'EncodedFrames', 'video_gt_instances', 'split_encoded_clips',
    'split_track_samples', 'CheckpointConversionError',
    'check_state_dict_fits', 'mmseqformer_to_official',
    'official_to_mmseqformer', 'swin_to_official'
]
