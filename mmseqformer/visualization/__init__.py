"""Drawing predictions for people: the video instance visualiser (in
mmdet's ``VISUALIZERS`` registry) and picture layouts (strips of frames)."""
from .strip import compose_grid, evenly_spaced
from .video_visualizer import (MIN_DRAW_SIZE, VideoInstanceVisualizer,
                               blend_mask, contour_colour, mask_box,
                               place_label, resize_masks, track_colour,
                               upscale_frame, upscaled_size)

__all__ = [
    'VideoInstanceVisualizer', 'MIN_DRAW_SIZE', 'blend_mask', 'contour_colour',
    'mask_box', 'place_label', 'resize_masks', 'track_colour', 'upscale_frame',
    'upscaled_size', 'compose_grid', 'evenly_spaced'
]
