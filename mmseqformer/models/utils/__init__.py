from .video_gt import ABSENT_BOX, video_gt_instances

__all__ = ['ABSENT_BOX', 'video_gt_instances']
