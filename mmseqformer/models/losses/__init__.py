from .video_set_criterion import VideoSetCriterion

__all__ = ['VideoSetCriterion']
