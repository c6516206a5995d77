from .coco_pseudo_video_dataset import CocoPseudoVideoDataset
from .coco_to_ytvis import COCO_TO_YTVIS19, COCO_TO_YTVIS19_OFFICIAL
from .converters import (CocoVideoFields, coco_video_to_ytvis,
                         instance_pngs_to_ytvis, parse_instance_mapping,
                         read_instance_png, write_instance_png,
                         ytvis_to_instance_pngs)
from .converters.ytvis_to_cocovid import (load_vis_annotations,
                                          official_to_cocovid)
from .transforms import (DropClipWithoutInstances, FrameFileError,
                         ImageToPseudoClip, SeqFormerClipSample,
                         sample_clip_frames)
from .youtube_vis_format_dataset import YouTubeVISFormatDataset
from .ytvis_format import VISAnnotationError

__all__ = [
    'CocoPseudoVideoDataset', 'COCO_TO_YTVIS19', 'COCO_TO_YTVIS19_OFFICIAL',
    'DropClipWithoutInstances', 'FrameFileError', 'ImageToPseudoClip',
    'SeqFormerClipSample', 'sample_clip_frames', 'YouTubeVISFormatDataset',
    'VISAnnotationError', 'load_vis_annotations', 'official_to_cocovid',
    'CocoVideoFields', 'coco_video_to_ytvis', 'instance_pngs_to_ytvis',
    'parse_instance_mapping', 'read_instance_png', 'write_instance_png',
    'ytvis_to_instance_pngs'
]
