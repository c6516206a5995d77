from .functional import (DEFAULT_SCORE_THR, IDENTITY_METRIC_ITEMS,
                         IdentityEvaluation, evaluate_identity,
                         evaluate_identity_files)
from .metrics import (PAPER_METRIC_ITEMS, VISTrackMetric, YouTubeVISEvalMetric,
                      numpy_float_alias)

__all__ = [
    'DEFAULT_SCORE_THR', 'IDENTITY_METRIC_ITEMS', 'IdentityEvaluation',
    'PAPER_METRIC_ITEMS', 'VISTrackMetric', 'YouTubeVISEvalMetric',
    'evaluate_identity', 'evaluate_identity_files', 'numpy_float_alias'
]
