from .vis_track_metric import VISTrackMetric
from .youtube_vis_eval_metric import (PAPER_METRIC_ITEMS, YouTubeVISEvalMetric,
                                      numpy_float_alias)

__all__ = [
    'PAPER_METRIC_ITEMS', 'VISTrackMetric', 'YouTubeVISEvalMetric',
    'numpy_float_alias'
]
