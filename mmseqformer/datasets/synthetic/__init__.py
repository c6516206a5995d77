from .long_videos import (LONG_SPLIT, LONG_SPLITS, LongSyntheticVISSpec,
                          SwingingShape, make_long_videos)
from .scene import SHAPES, MovingShape, render_frame
from .still_images import (IMAGES_CATEGORY_MAP, IMAGES_SPLIT,
                           SyntheticImagesSpec, make_still_images)
from .writer import CATEGORY_IDS, SyntheticVISSpec, make_synthetic_vis

__all__ = [
    'SHAPES', 'MovingShape', 'render_frame', 'CATEGORY_IDS',
    'SyntheticVISSpec', 'make_synthetic_vis', 'LONG_SPLIT', 'LONG_SPLITS',
    'LongSyntheticVISSpec', 'SwingingShape', 'make_long_videos',
    'IMAGES_SPLIT', 'IMAGES_CATEGORY_MAP', 'SyntheticImagesSpec',
    'make_still_images'
]
