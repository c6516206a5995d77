from .transforms import (DropClipWithoutInstances, ImageToPseudoClip,
                         SeqFormerClipSample, sample_clip_frames)
from .youtube_vis_format_dataset import YouTubeVISFormatDataset
from .ytvis_format import (VISAnnotationError, load_vis_annotations,
                           official_to_cocovid)

__all__ = [
    'DropClipWithoutInstances', 'ImageToPseudoClip', 'SeqFormerClipSample',
    'sample_clip_frames',
    'YouTubeVISFormatDataset', 'VISAnnotationError', 'load_vis_annotations',
    'official_to_cocovid'
]
