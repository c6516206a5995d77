from .identity_inputs import (DEFAULT_SCORE_THR, check_ground_truth,
                              check_results, load_ground_truth, load_results,
                              select_hard_decisions)
from .track_errors import (FAST_STEP, OBJECT_GROUPS, TrackErrors, absences,
                           centre_steps, object_group, track_errors,
                           video_iou_matrix)
from .track_identity import (ALL_VIDEOS, CLASS_AVERAGED, DET_AVERAGED,
                             IDENTITY_METRIC_ITEMS, TRACKEVAL_REQUIREMENT,
                             IdentityEvaluation, evaluate_identity,
                             evaluate_identity_files, import_trackeval_runner)

__all__ = [
    'ALL_VIDEOS', 'CLASS_AVERAGED', 'DEFAULT_SCORE_THR', 'DET_AVERAGED',
    'IDENTITY_METRIC_ITEMS', 'TRACKEVAL_REQUIREMENT', 'IdentityEvaluation',
    'FAST_STEP', 'OBJECT_GROUPS', 'TrackErrors', 'absences', 'centre_steps',
    'object_group', 'track_errors', 'video_iou_matrix', 'check_ground_truth',
    'check_results', 'evaluate_identity', 'evaluate_identity_files',
    'import_trackeval_runner', 'load_ground_truth', 'load_results',
    'select_hard_decisions'
]
