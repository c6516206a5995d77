from .long_videos import (LONG_SPLIT, LongSyntheticVISSpec, SwingingShape,
                          make_long_videos)
from .scene import SHAPES, MovingShape, render_frame
from .writer import CATEGORY_IDS, SyntheticVISSpec, make_synthetic_vis

__all__ = [
    'SHAPES', 'MovingShape', 'render_frame', 'CATEGORY_IDS',
    'SyntheticVISSpec', 'make_synthetic_vis', 'LONG_SPLIT',
    'LongSyntheticVISSpec', 'SwingingShape', 'make_long_videos'
]
